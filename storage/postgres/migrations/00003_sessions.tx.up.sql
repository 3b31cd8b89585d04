-- Sessions of signed-in agents, for the reference server's session manager
-- (github.com/alexedwards/scs postgresstore): the token, the encoded session
-- data and the time the session expires. Expired rows are deleted by the
-- store's periodic clean-up, which the expiry index keeps cheap.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);

CREATE INDEX sessions_expiry_idx ON sessions (expiry);
