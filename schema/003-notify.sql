-- Fulcrum schema 3: the notification switches, which kinds of SNMP notification fulcrumd sends.
--
-- One row per kind, every one on at first. The switches are not
-- configuration: turning one off or on bumps no revision and writes no
-- change-log row, so reconcile and the event stream never see it. They are
-- stored all the same, so a restart keeps them, and a SET that changes a
-- switch together with services commits both in one transaction.
--
-- The names are the C enum's (enum command_notify) in the API's spelling,
-- like every other enum in the file.
CREATE TABLE notify_switches (
	name TEXT PRIMARY KEY
		CHECK (name IN ('rs_state', 'vs_availability', 'config_change', 'role_change')),
	enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))
) WITHOUT ROWID;
INSERT INTO notify_switches (name, enabled) VALUES
	('rs_state', 1),
	('vs_availability', 1),
	('config_change', 1),
	('role_change', 1);
