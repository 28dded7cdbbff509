-- A micro-grid's forces (issue "What a new user trips over", item 7): building and unit leaders (楼栋长)
-- are registered as workers of their micro-grid, beside its worker, the party members who 包户 there and
-- its volunteers. The mobilisation check counts them all (GridcareCore.MobilisationForces owns the list).
-- ADD VALUE runs inside the migration's transaction (PostgreSQL 12+); nothing here uses the new value.
ALTER TYPE worker_role ADD VALUE IF NOT EXISTS 'building_leader';
