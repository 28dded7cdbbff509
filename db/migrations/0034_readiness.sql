-- Readiness (/readyz) asks which migrations are applied; the service's own login may read that list
-- (and nothing else of the migrator's).
GRANT SELECT ON gridcare_migration TO gridcare_service;
