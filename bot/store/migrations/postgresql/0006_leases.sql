-- PostgreSQL twin of ../0006_leases.sql: named work held by one bot process until released or expired.

CREATE TABLE leases (
    name        text NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    owner       text NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
    acquired_at double precision NOT NULL,
    expires_at  double precision NOT NULL,
    CHECK (acquired_at <= expires_at)
);
