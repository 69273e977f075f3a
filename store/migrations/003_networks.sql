-- Networks: every byte is stored under (NIC, network). A network is what a
-- NIC was attached to: a Wi-Fi SSID, a default gateway's MAC address, or
-- unknown. Keys are "wifi:<ssid>", "gateway:<mac>" and "" for unknown;
-- labels are this machine's names for them (not synced). Ids are local.
CREATE TABLE networks (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL UNIQUE,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) STRICT;

-- The unknown network is id 1. Everything recorded before networks were
-- known is on it; 0 means never seen.
INSERT INTO networks(id, key, label, first_seen, last_seen)
    SELECT 1, '', 'Unknown', COALESCE(MIN(start), 0), COALESCE(MAX(start), 0) FROM buckets;

-- WITHOUT ROWID tables cannot change their primary key in place: rebuild
-- them with the network in it.
CREATE TABLE buckets_v3 (
    device  INTEGER NOT NULL,
    nic     INTEGER NOT NULL,
    network INTEGER NOT NULL,
    start   INTEGER NOT NULL,
    sent    INTEGER NOT NULL,
    recv    INTEGER NOT NULL,
    seq     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device, start, nic, network)
) STRICT, WITHOUT ROWID;
INSERT INTO buckets_v3(device, nic, network, start, sent, recv, seq)
    SELECT device, nic, 1, start, sent, recv, seq FROM buckets;
DROP TABLE buckets; -- and its index buckets_pending
ALTER TABLE buckets_v3 RENAME TO buckets;
CREATE INDEX buckets_pending ON buckets(seq) WHERE device = 1;

CREATE TABLE days_v3 (
    device  INTEGER NOT NULL,
    nic     INTEGER NOT NULL,
    network INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    sent    INTEGER NOT NULL,
    recv    INTEGER NOT NULL,
    PRIMARY KEY (device, day, nic, network)
) STRICT, WITHOUT ROWID;
INSERT INTO days_v3(device, nic, network, day, sent, recv)
    SELECT device, nic, 1, day, sent, recv FROM days;
DROP TABLE days;
ALTER TABLE days_v3 RENAME TO days;

-- A gap's bytes went over the network seen when counting resumed.
ALTER TABLE gaps ADD COLUMN network INTEGER NOT NULL DEFAULT 1;
