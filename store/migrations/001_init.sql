-- Key/value facts about this install: device id, pause state, boot identity,
-- the change counter used by sync, the rollup zone fingerprint.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Devices whose usage is in this file. The local device is always id 1.
CREATE TABLE devices (
    id        INTEGER PRIMARY KEY,
    uuid      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    hostname  TEXT NOT NULL,
    platform  TEXT NOT NULL,
    last_seen INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE nics (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

-- 15-minute usage buckets; start is UTC unix seconds, a multiple of 900.
-- seq is the local change number of the flush that last touched the row.
CREATE TABLE buckets (
    device INTEGER NOT NULL,
    nic    INTEGER NOT NULL,
    start  INTEGER NOT NULL,
    sent   INTEGER NOT NULL,
    recv   INTEGER NOT NULL,
    seq    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device, start, nic)
) STRICT, WITHOUT ROWID;

-- The same bytes summed per local calendar day (yyyymmdd) in the rollup zone.
CREATE TABLE days (
    device INTEGER NOT NULL,
    nic    INTEGER NOT NULL,
    day    INTEGER NOT NULL,
    sent   INTEGER NOT NULL,
    recv   INTEGER NOT NULL,
    PRIMARY KEY (device, day, nic)
) STRICT, WITHOUT ROWID;

-- The kernel counters the buckets were computed from, per NIC ever seen.
-- present = 0 means the NIC was missing from the last sample.
CREATE TABLE counters (
    nic     INTEGER PRIMARY KEY,
    sent    INTEGER NOT NULL,
    recv    INTEGER NOT NULL,
    present INTEGER NOT NULL
) STRICT;

-- Traffic that happened while PacketBuddy was not counting it live. The bytes
-- are also spread over the buckets of [from_ts, to_ts]; this row labels them.
CREATE TABLE gaps (
    id      INTEGER PRIMARY KEY,
    nic     INTEGER NOT NULL,
    from_ts INTEGER NOT NULL,
    to_ts   INTEGER NOT NULL,
    sent    INTEGER NOT NULL,
    recv    INTEGER NOT NULL,
    reason  TEXT NOT NULL
) STRICT;
