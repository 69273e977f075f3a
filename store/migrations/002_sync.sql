-- Multi-device sync (package cloudsync).
--
-- Push sends this device's buckets whose seq is above the acknowledged change
-- number (meta 'sync_push_ack'). This index finds them without reading every
-- local bucket; only the local device's rows carry a non-zero seq.
CREATE INDEX buckets_pending ON buckets(seq) WHERE device = 1;

-- What the server says about each device.
ALTER TABLE devices ADD COLUMN first_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN app_version TEXT NOT NULL DEFAULT '';

-- Renames made here that the server has not acknowledged yet, by device uuid.
CREATE TABLE device_renames (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;
