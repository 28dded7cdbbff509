-- A resident's contract active on a day, found by a btree range (resident, newest start first) that
-- carries the columns the due-visit rules and the scope policy read. Without it the planner found each
-- contract through the exclusion constraint's GiST index: 5 µs a lookup, 28 ms of a 5,000-resident team's
-- due list (see BENCHMARKS.md, issue 4).
CREATE INDEX contract_resident_starts_idx ON contract (resident_id, starts_on DESC)
    INCLUDE (ended_on, term_ends_on, micro_grid_id, district_id);
