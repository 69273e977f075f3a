-- PacketBuddy remote schema, version 2: every bucket belongs to a network
-- of its NIC as well (a key such as 'wifi:Home' or 'gateway:<mac>', '' for
-- unknown). Rows pushed before this version become the unknown network.
--
-- A constant default fills the new column without rewriting the table or
-- touching xid, so no device pulls the old rows again.
ALTER TABLE buckets ADD COLUMN network text NOT NULL DEFAULT '';
ALTER TABLE buckets DROP CONSTRAINT buckets_pkey;
ALTER TABLE buckets ADD CONSTRAINT buckets_pkey PRIMARY KEY (device_id, nic, network, bucket_start);
