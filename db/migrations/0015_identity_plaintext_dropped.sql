-- The plaintext identity numbers are gone: the Swift step before this migration (IdentitySealing) sealed
-- every stored number with the configured key. Stop here rather than drop a number it did not seal.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM resident WHERE id_number IS NOT NULL AND id_number_sealed IS NULL)
       OR EXISTS (SELECT 1 FROM referral WHERE patient_id_sealed IS NULL) THEN
        RAISE EXCEPTION 'identity numbers are still in plaintext: migrate with the identity key configured';
    END IF;
END
$$;

ALTER TABLE resident DROP COLUMN id_number,
    ALTER COLUMN id_number_sealed SET NOT NULL,
    ALTER COLUMN id_number_index SET NOT NULL,
    ADD CONSTRAINT resident_id_number_index_check CHECK (length(id_number_index) = 32);
-- One active resident per number; a registration held for review may repeat it.
CREATE UNIQUE INDEX resident_id_number_index_key ON resident (id_number_index) WHERE registration = 'active';
CREATE INDEX resident_id_number_lookup_idx ON resident (id_number_index);

ALTER TABLE referral DROP COLUMN patient_id_masked, ALTER COLUMN patient_id_sealed SET NOT NULL;
