-- Idempotency keys keep a SHA-256 of the request (its path and canonical body), never the body: a
-- resident's body holds a full ID-card number, a sign-in's a password. Sign-in never takes a key (its
-- response is a live token), and no response carrying a secret is stored.
--
-- A key is claimed, its request's writes are made and its response is stored in one transaction
-- (IdempotencyStore.perform), so a committed key always has its response: a deferred constraint trigger
-- refuses a commit that would leave a claim unfinished.
--
-- The table is rebuilt rather than altered so the old bodies leave its files with the dropped table (a
-- dropped column's bytes would stay on disk until a VACUUM FULL). Finished keys keep replaying: the old
-- request_body was the same fingerprint the service now hashes. Sign-ins (passwords and tokens) and
-- unfinished claims are not copied.
ALTER TABLE idempotency_key RENAME TO idempotency_key_old;
ALTER INDEX idempotency_key_pkey RENAME TO idempotency_key_old_pkey;
ALTER INDEX idempotency_key_created_idx RENAME TO idempotency_key_old_created_idx;

CREATE TABLE idempotency_key (
    user_id      bigint NOT NULL DEFAULT 0,
    operation    text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,      -- sha256(path || '\x00' || canonical body)
    status       integer,             -- NULL only inside the claiming transaction
    content_type text,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, operation, key),
    CONSTRAINT idempotency_key_key_check CHECK (length(key) BETWEEN 1 AND 200),
    CONSTRAINT idempotency_key_hash_check CHECK (length(request_hash) = 32),
    CONSTRAINT idempotency_key_status_check CHECK (status BETWEEN 100 AND 599),
    CONSTRAINT idempotency_key_no_sign_in_check CHECK (operation <> 'signIn')
);
CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at);

INSERT INTO idempotency_key (user_id, operation, key, request_hash, status, content_type, response, created_at)
SELECT user_id, operation, key, sha256(request_body), status, content_type, response, created_at
FROM idempotency_key_old
WHERE status BETWEEN 100 AND 599 AND operation <> 'signIn';

DROP TABLE idempotency_key_old;

CREATE FUNCTION gridcare_idempotency_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM idempotency_key k
               WHERE k.user_id = NEW.user_id AND k.operation = NEW.operation AND k.key = NEW.key AND k.status IS NULL) THEN
        RAISE EXCEPTION 'an idempotency key may only be committed with its response'
            USING ERRCODE = '23514', CONSTRAINT = 'idempotency_key_finished', TABLE = 'idempotency_key';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER idempotency_key_finished AFTER INSERT OR UPDATE ON idempotency_key
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gridcare_idempotency_finished();

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO gridcare_service;
