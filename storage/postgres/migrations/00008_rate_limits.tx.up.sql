-- Rate limits shared by every process on the database (icc.RateLimiter):
-- per key, the times of its last events, oldest first and at most the
-- limit the key is counted against. A key is stored as its SHA-256, so a
-- key of any length takes 32 bytes. expires_at is when the row no longer
-- matters: its newest event has left the window, and at least a window
-- has passed since its last write by the database clock. Expired rows are
-- deleted a batch at a time by the stores now and then, which the expiry
-- index keeps cheap.
CREATE TABLE rate_limits (
    key_hash   bytea PRIMARY KEY CHECK (octet_length(key_hash) = 32),
    hits       timestamptz[] NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX rate_limits_expires_at_idx ON rate_limits (expires_at);
