-- Fulcrum schema 8: a notification switch for replication's state (fulcrumReplStateChange).
--
-- notify_switches gains 'repl_state', on at first like the others, made
-- again with its CHECK widened as schema 7 did, in this migration's
-- transaction: an upgrade keeps every switch as it was set, or changes
-- nothing.
CREATE TABLE notify_switches_8 (
	name TEXT PRIMARY KEY
		CHECK (name IN ('rs_state', 'vs_availability', 'config_change', 'role_change',
		                'peer_state', 'repl_state')),
	enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))
) WITHOUT ROWID;
INSERT INTO notify_switches_8 (name, enabled) SELECT name, enabled FROM notify_switches;
INSERT INTO notify_switches_8 (name, enabled) VALUES ('repl_state', 1);
DROP TABLE notify_switches;
ALTER TABLE notify_switches_8 RENAME TO notify_switches;
