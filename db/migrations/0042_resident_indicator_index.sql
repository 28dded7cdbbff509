-- The dashboard's live count (issue 19: a million-resident district's custom period under 2 s) reads two
-- things of every resident of a district: the population per micro-grid (age, conditions) and, for those
-- followed up or checked in the period, their age and conditions by id. From the table each read decodes
-- the whole wide row (seventeen columns; micro_grid_id and conditions near its end); from this narrow
-- index both are index-only scans. Both periods of the 1,000,000-resident demo counted at once (psql,
-- two cores): 1.6-2.3 s against 2.4-2.9 s without it. Cost: 75 MB for that district, and an update of a
-- resident's conditions is no longer a heap-only update (they change seldom).
CREATE INDEX resident_indicator_idx ON resident (district_id, id) INCLUDE (micro_grid_id, birth_date, conditions);
