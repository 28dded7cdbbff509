-- Sign-in rate limits: a token bucket per source address and per username, kept here so every copy of the
-- service shares them. A bucket takes one token with one conditional upsert (SignInLimits.swift) and
-- refills at its limit per minute, so a row older than a minute is full: the same as no row, and swept.
CREATE TABLE sign_in_bucket (
    key    text PRIMARY KEY,              -- 'address:<ip>' or 'user:<username>'
    tokens double precision NOT NULL,     -- what is left of the limit; one is taken per sign-in
    at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sign_in_bucket_key_check CHECK (length(key) BETWEEN 1 AND 200)
);
CREATE INDEX sign_in_bucket_at_idx ON sign_in_bucket (at);
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_bucket TO gridcare_service;

-- An attempt is counted before its password is checked (UserStore.verify), so failed_sign_ins counts
-- attempts still running too; it never goes below zero.
ALTER TABLE app_user ADD CONSTRAINT app_user_failed_sign_ins_check CHECK (failed_sign_ins >= 0);
