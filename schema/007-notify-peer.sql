-- Fulcrum schema 7: a notification switch for the failover peer's state (fulcrumPeerStateChange).
--
-- notify_switches gains 'peer_state', on at first like the others. SQLite
-- cannot change a CHECK in place: the table is made again with it and its
-- rows copied, in this migration's transaction, so an upgrade keeps every
-- switch as it was set, or changes nothing.
CREATE TABLE notify_switches_7 (
	name TEXT PRIMARY KEY
		CHECK (name IN ('rs_state', 'vs_availability', 'config_change', 'role_change',
		                'peer_state')),
	enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))
) WITHOUT ROWID;
INSERT INTO notify_switches_7 (name, enabled) SELECT name, enabled FROM notify_switches;
INSERT INTO notify_switches_7 (name, enabled) VALUES ('peer_state', 1);
DROP TABLE notify_switches;
ALTER TABLE notify_switches_7 RENAME TO notify_switches;
