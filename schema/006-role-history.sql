-- Fulcrum schema 6: the failover role history, one row per role change of this node.
--
-- Written by fulcrumd's main thread from the failover engine's role-change
-- event (docs/ha.md), so the API and the MIB can show the last change after a
-- restart. It is this node's own story: never replicated to the peer, never
-- in the change log, and it does not move the configuration revision. The
-- newest 1000 rows are kept (db_role_history_add()).
CREATE TABLE role_history (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,     -- Unix milliseconds
	role TEXT NOT NULL
		CHECK (role IN ('starting', 'active', 'standby', 'fault', 'standalone')),
	previous TEXT NOT NULL
		CHECK (previous IN ('', 'starting', 'active', 'standby', 'fault', 'standalone')),
	term INTEGER NOT NULL CHECK (term >= 0),
	reason TEXT NOT NULL CHECK (length(CAST(reason AS BLOB)) <= 255),
	peer TEXT NOT NULL DEFAULT '' CHECK (length(CAST(peer AS BLOB)) <= 64) -- '': never heard
);
