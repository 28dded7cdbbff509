-- The helpers of 0029 run as their owner (SECURITY DEFINER) and so see past row-level security: a
-- resident's name in any district, any team's members. Only the triggers, which run as the owner too,
-- call them; the service's login may not. It may call gridcare_notify (the late-slip clock does), which
-- writes only what its caller names, and it inserts no notification itself: only the triggers do.
REVOKE ALL ON FUNCTION gridcare_resident_name(bigint), gridcare_team_users(bigint, team_role[]),
    gridcare_grid_team_users(bigint, team_role[]), gridcare_hospital_users(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION gridcare_notify(bigint, text, text, boolean, bigint, bigint[], text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_notify(bigint, text, text, boolean, bigint, bigint[], text, text, text) TO gridcare_service;
REVOKE INSERT ON notification FROM gridcare_service;
