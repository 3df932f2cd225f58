-- Fulcrum schema 5: VIPs, the virtual addresses the active director of a pair holds, and the
-- change log's rows about them.
--
-- As in schema 1 the rules live in the model (controller/model/model_vip.c);
-- the UNIQUE index backs the duplicate rule the command layer checks first,
-- and the CHECKs are a second line of defence. The address is inet_ntop()
-- text, so one address has one spelling and UNIQUE means one VIP per
-- address; its family is the text's (IPv6 holds a ':', IPv4 never does).

-- AUTOINCREMENT: ids are never reused, as for services (an SNMP index, an API URL).
CREATE TABLE vips (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	address TEXT NOT NULL UNIQUE CHECK (length(address) BETWEEN 2 AND 45),
	prefix INTEGER NOT NULL
		CHECK (prefix BETWEEN 1 AND CASE WHEN instr(address, ':') > 0 THEN 128 ELSE 32 END),
	-- a Linux interface name (or address label): what ip(8) takes, IFNAMSIZ - 1 at most
	interface TEXT NOT NULL
		CHECK (length(interface) BETWEEN 1 AND 15
		       AND interface NOT GLOB '*[^A-Za-z0-9_.:-]*'
		       AND interface NOT IN ('.', '..')),
	description TEXT NOT NULL DEFAULT ''
		CHECK (length(CAST(description AS BLOB)) <= 255)
);

-- The change log's object_type gains 'vip'. SQLite cannot change a CHECK in
-- place: the table is made again with it and its rows copied, in this
-- migration's transaction, so an upgrade keeps every row or none.
CREATE TABLE change_log_5 (
	revision INTEGER NOT NULL CHECK (revision > 0),
	seq INTEGER NOT NULL CHECK (seq > 0),
	time INTEGER NOT NULL, -- Unix seconds
	actor TEXT NOT NULL,
	origin TEXT NOT NULL CHECK (origin IN ('http', 'snmp', 'import', 'sync', 'cli')),
	object_type TEXT NOT NULL CHECK (object_type IN ('service', 'real', 'vip')),
	object_id INTEGER NOT NULL,
	before TEXT, -- JSON of the object before the change; NULL when created
	after TEXT,  -- JSON after; NULL when deleted
	PRIMARY KEY (revision, seq),
	CHECK (before IS NOT NULL OR after IS NOT NULL)
) WITHOUT ROWID;
INSERT INTO change_log_5 (revision, seq, time, actor, origin, object_type, object_id, before,
			  after)
	SELECT revision, seq, time, actor, origin, object_type, object_id, before, after
	FROM change_log;
DROP TABLE change_log;
ALTER TABLE change_log_5 RENAME TO change_log;
