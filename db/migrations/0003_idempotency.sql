-- Idempotency-Key for POSTs that create records: the first request's response is kept and replayed.
CREATE TABLE idempotency_key (
    operation    text NOT NULL,
    key          text NOT NULL,
    request_body bytea NOT NULL,
    status       integer,          -- NULL while the first request is still running
    content_type text,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, key),
    CONSTRAINT idempotency_key_key_check CHECK (length(key) BETWEEN 1 AND 200)
);
CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at);
