-- The FHIR bulk export's `_since` asks what changed after a moment: a reading is entered after it is
-- taken (often days later, from paper), so it needs the time it was written, like service_entry's
-- recorded_at. Readings written before this migration count as written now: the next incremental pull
-- sends them once.
ALTER TABLE vital_reading ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
