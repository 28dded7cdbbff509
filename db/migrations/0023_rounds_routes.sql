-- A saved plan keeps its routes (issue "What a new user trips over", item 4): each member's route of a
-- day, from the centre and back, with its departure, return and travel minutes, as the plan returned
-- them. A member-day may have several routes (the free blocks around clinic sessions and the lunch
-- break); a planned visit names its route by its departure. Plans saved before this have no routes and
-- their visits no departure.
CREATE TABLE rounds_route (
    plan_id        bigint NOT NULL REFERENCES rounds_plan (id),
    district_id    bigint NOT NULL,
    worker_id      bigint NOT NULL REFERENCES worker (id),
    day            date NOT NULL,
    depart_minute  integer NOT NULL,
    return_minute  integer NOT NULL,
    travel_minutes integer NOT NULL,
    PRIMARY KEY (plan_id, worker_id, day, depart_minute),
    CONSTRAINT rounds_route_times_check CHECK (depart_minute BETWEEN 0 AND 1440 AND return_minute BETWEEN depart_minute AND 1440
                                               AND travel_minutes BETWEEN 0 AND return_minute - depart_minute)
);

ALTER TABLE planned_visit ADD COLUMN depart_minute integer;
ALTER TABLE planned_visit ADD CONSTRAINT planned_visit_route_fkey FOREIGN KEY (plan_id, worker_id, day, depart_minute)
    REFERENCES rounds_route (plan_id, worker_id, day, depart_minute);

-- A route is seen with its plan (whose policy keeps it to the plan's centre).
ALTER TABLE rounds_route ENABLE ROW LEVEL SECURITY;
ALTER TABLE rounds_route FORCE ROW LEVEL SECURITY;
CREATE POLICY rounds_route_scope ON rounds_route USING (
    (SELECT gridcare_scope_district()) IN ('*', district_id::text)
    AND EXISTS (SELECT 1 FROM rounds_plan p WHERE p.id = rounds_route.plan_id));
REVOKE DELETE ON rounds_route FROM gridcare_service;
