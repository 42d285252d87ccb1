-- Leases (bot/store/leases.py): a named piece of work (a challenge's deadline, its results post) held by
-- one bot process at a time until it releases it or its expiry passes, so that with several processes
-- each deadline is handled exactly once. Times are Unix seconds (REAL, UTC).

CREATE TABLE leases (
    name        TEXT NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    owner       TEXT NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
    acquired_at REAL NOT NULL,
    expires_at  REAL NOT NULL,
    CHECK (acquired_at <= expires_at)
) WITHOUT ROWID;
