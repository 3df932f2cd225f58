-- Fulcrum schema 1: virtual services, real servers, the revision and the change log.
--
-- The model (controller/model.c) is where the rules live; the UNIQUE indexes
-- back the duplicate rules the command layer checks first, and the CHECKs are
-- a second line of defence against a bug writing nonsense.
--
-- Enums are stored by their API names ('tcp', 'wlc', 'masq'), never by the C
-- enum's number, so reordering an enum cannot change what a file means, and
-- `sqlite3 fulcrum.db` shows what an operator would type.
--
-- Addresses are stored as text in the canonical form inet_ntop() writes
-- ('10.0.0.1', 'fd00::1'): one address has exactly one spelling, so text
-- equality is address equality and the UNIQUE indexes hold; the text reads
-- the same in the shell, the change log and the API. Blobs would save a few
-- bytes per row and nothing else.

-- The single row holding the global revision that every committed change bumps.
CREATE TABLE meta (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	revision INTEGER NOT NULL CHECK (revision >= 0)
);
INSERT INTO meta (id, revision) VALUES (1, 0);

-- AUTOINCREMENT: ids are never reused, even after the newest row is deleted,
-- so an SNMP index or an API URL never comes to mean another object.
CREATE TABLE services (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE
		CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*'
		       AND name GLOB '[A-Za-z0-9]*'),
	family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6')),
	address TEXT, -- NULL for a firewall-mark service
	port INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),
	protocol TEXT CHECK (protocol IN ('tcp', 'udp', 'sctp')), -- NULL with fwmark
	fwmark INTEGER NOT NULL DEFAULT 0 CHECK (fwmark BETWEEN 0 AND 4294967295),
	scheduler TEXT NOT NULL
		CHECK (scheduler IN ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed',
				     'nq', 'fo', 'ovf', 'mh', 'twos')),
	-- bit 0x1 "fallback", 0x2 "port" (IPVS's sched-flag-1 and -2), sh and mh only
	scheduler_flags INTEGER NOT NULL DEFAULT 0
		CHECK (scheduler_flags BETWEEN 0 AND 3
		       AND (scheduler_flags = 0 OR scheduler IN ('sh', 'mh'))),
	persistence_timeout INTEGER NOT NULL DEFAULT 0
		CHECK (persistence_timeout BETWEEN 0 AND 2592000),
	persistence_netmask INTEGER NOT NULL
		CHECK (persistence_netmask BETWEEN 0 AND
		       CASE family WHEN 'ipv4' THEN 32 ELSE 128 END),
	one_packet INTEGER NOT NULL DEFAULT 0 CHECK (one_packet IN (0, 1)),
	admin_state TEXT NOT NULL CHECK (admin_state IN ('enabled', 'disabled')),
	description TEXT NOT NULL DEFAULT ''
		CHECK (length(CAST(description AS BLOB)) <= 255),
	-- exactly one of address or fwmark
	CHECK ((address IS NULL) = (fwmark <> 0)),
	-- an address service has a protocol; a fwmark service no port and no protocol
	CHECK (address IS NULL OR protocol IS NOT NULL),
	CHECK (fwmark = 0 OR (port = 0 AND protocol IS NULL))
);

-- The duplicate rules: one service per address:port/protocol, one per fwmark.
CREATE UNIQUE INDEX services_address ON services (family, address, port, protocol)
	WHERE address IS NOT NULL;
CREATE UNIQUE INDEX services_fwmark ON services (family, fwmark) WHERE fwmark <> 0;

CREATE TABLE reals (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
	address TEXT NOT NULL,
	port INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),
	forwarding TEXT NOT NULL CHECK (forwarding IN ('masq', 'route', 'tunnel')),
	tunnel_type TEXT CHECK (tunnel_type IN ('ipip', 'gue', 'gre')), -- NULL unless tunnel
	tunnel_port INTEGER NOT NULL DEFAULT 0 CHECK (tunnel_port BETWEEN 0 AND 65535),
	weight INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 65535),
	upper_threshold INTEGER NOT NULL DEFAULT 0
		CHECK (upper_threshold BETWEEN 0 AND 4294967295),
	lower_threshold INTEGER NOT NULL DEFAULT 0
		CHECK (lower_threshold BETWEEN 0 AND 4294967295),
	admin_state TEXT NOT NULL CHECK (admin_state IN ('enabled', 'drained', 'disabled')),
	description TEXT NOT NULL DEFAULT ''
		CHECK (length(CAST(description AS BLOB)) <= 255),
	CHECK ((forwarding = 'tunnel') = (tunnel_type IS NOT NULL)),
	CHECK ((tunnel_type IS 'gue') = (tunnel_port <> 0)),
	CHECK (upper_threshold = 0 OR lower_threshold <= upper_threshold),
	-- a real server appears once in a service; this index also serves lookups by service
	UNIQUE (service_id, address, port)
);

-- One row per object a committed change touched; seq orders the rows of one revision.
CREATE TABLE change_log (
	revision INTEGER NOT NULL CHECK (revision > 0),
	seq INTEGER NOT NULL CHECK (seq > 0),
	time INTEGER NOT NULL, -- Unix seconds
	actor TEXT NOT NULL,
	origin TEXT NOT NULL CHECK (origin IN ('http', 'snmp', 'import', 'sync', 'cli')),
	object_type TEXT NOT NULL CHECK (object_type IN ('service', 'real')),
	object_id INTEGER NOT NULL,
	before TEXT, -- JSON of the object before the change; NULL when created
	after TEXT,  -- JSON after; NULL when deleted
	PRIMARY KEY (revision, seq),
	CHECK (before IS NOT NULL OR after IS NOT NULL)
) WITHOUT ROWID;
