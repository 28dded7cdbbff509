-- The district dashboard's counts per micro-grid for the periods managers pick (the year, quarter and
-- month to date, and the same days a year, quarter or month before), computed on the service's clock
-- (rules.indicators.refreshMinutes) so a million-resident district's dashboard reads 5,581 rows instead
-- of a million residents. `counts` holds IndicatorCounts' fields in their declared order (Swift owns
-- the order and the meaning); a custom period is still counted from the records when it is asked for.
CREATE TABLE indicator_rollup (
    district_id   bigint NOT NULL,
    period_from   date NOT NULL,
    period_to     date NOT NULL,
    micro_grid_id bigint NOT NULL,
    counts        integer[] NOT NULL,
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_id, period_from, period_to, micro_grid_id)
);
ALTER TABLE indicator_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE indicator_rollup FORCE ROW LEVEL SECURITY;
CREATE POLICY indicator_rollup_scope ON indicator_rollup USING ((SELECT gridcare_scope_district()) IN ('*', district_id::text));
