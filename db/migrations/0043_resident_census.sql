-- The population per micro-grid kept current by the registry's writes (issue 19: a million-resident
-- district's custom period under 2 s). The dashboard's live count needed, for each period, every
-- resident's conditions to count the residents, the hypertensive, the diabetic and the chronically ill of
-- each micro-grid: half of a period's work, and the same for both periods. Here those counts are held per
-- micro-grid and condition set (a few rows a micro-grid), so the count sums them instead; the 65+ line,
-- which depends on the period's last day, is a range of the birth-date index below.
--
-- Append-only: a statement that writes residents adds one row per micro-grid and condition set it
-- changed, with the difference (negative for residents gone or moved away), so writers of one micro-grid
-- never wait on each other; the indicator clock folds a district's rows into one per key
-- (gridcare_census_compact), which any number of copies may do at once: it re-inserts the sum of exactly
-- the rows it deleted. The condition set is the array as stored (not sorted): two orders of the same
-- conditions are two keys, and both count right.
CREATE TABLE resident_census (
    district_id   bigint NOT NULL,
    micro_grid_id bigint NOT NULL,
    conditions    text[] NOT NULL,
    residents     integer NOT NULL
);
CREATE INDEX resident_census_grid_idx ON resident_census (district_id, micro_grid_id);

ALTER TABLE resident_census ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_census FORCE ROW LEVEL SECURITY;
CREATE POLICY resident_census_scope ON resident_census USING (
    (SELECT gridcare_scope_district()) IN ('*', district_id::text)
    AND ((SELECT gridcare_scope_all_micro_grids()) OR micro_grid_id = ANY ((SELECT gridcare_scope_micro_grids())::bigint[])));
-- Written only by the functions below, as their owner.
REVOKE INSERT, UPDATE, DELETE ON resident_census FROM gridcare_service;

CREATE FUNCTION gridcare_census_touch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO resident_census
        SELECT district_id, micro_grid_id, conditions, count(*) FROM new_rows GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO resident_census
        SELECT district_id, micro_grid_id, conditions, -count(*) FROM old_rows GROUP BY 1, 2, 3;
    ELSE
        -- Most updates change neither the micro-grid nor the conditions: their difference is nothing.
        INSERT INTO resident_census
        SELECT district_id, micro_grid_id, conditions, sum(n) FROM (
            SELECT district_id, micro_grid_id, conditions, 1 AS n FROM new_rows
            UNION ALL
            SELECT district_id, micro_grid_id, conditions, -1 FROM old_rows
        ) AS d
        GROUP BY 1, 2, 3 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION gridcare_census_compact(p_district bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE kept bigint;
BEGIN
    WITH gone AS (DELETE FROM resident_census WHERE district_id = p_district RETURNING *),
    folded AS (
        INSERT INTO resident_census
        SELECT district_id, micro_grid_id, conditions, sum(residents) FROM gone GROUP BY 1, 2, 3 HAVING sum(residents) <> 0
        RETURNING 1
    )
    SELECT count(*) INTO kept FROM folded;
    RETURN kept;
END $$;
REVOKE ALL ON FUNCTION gridcare_census_compact(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_census_compact(bigint) TO gridcare_service;

-- No resident is written between the count below and the triggers (the migration's transaction holds
-- the lock until it commits).
LOCK TABLE resident IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER resident_census_insert AFTER INSERT ON resident REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_census_touch();
CREATE TRIGGER resident_census_update AFTER UPDATE ON resident REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_census_touch();
CREATE TRIGGER resident_census_delete AFTER DELETE ON resident REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_census_touch();
-- A truncate empties every district's registry (the import benchmark empties it between rounds).
CREATE FUNCTION gridcare_census_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM resident_census;
    RETURN NULL;
END $$;
CREATE TRIGGER resident_census_truncate AFTER TRUNCATE ON resident
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_census_truncate();
INSERT INTO resident_census SELECT district_id, micro_grid_id, conditions, count(*) FROM resident GROUP BY 1, 2, 3;

-- The 65+ count of a period: the residents born on or before a day, with their micro-grid, read from the
-- index alone (the index it replaces had the same key without the micro-grid).
CREATE INDEX resident_district_birth_grid_idx ON resident (district_id, birth_date) INCLUDE (micro_grid_id);
DROP INDEX resident_district_birth_idx;
