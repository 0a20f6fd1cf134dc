-- Leases for singleton work (scheduled backups, pruning the event stream,
-- later the mail worker and digests): one node holds a lease until it
-- stops renewing it, then another takes it over.
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
