-- A team's contracts read in the order they end (the console's team page lists the ones to renew first):
-- along this index the read stops after the page instead of sorting every contract of the team. It leads
-- with team_id, so it serves what contract_team_idx served.
CREATE INDEX contract_team_term_idx ON contract (team_id, term_ends_on, id);
DROP INDEX contract_team_idx;
