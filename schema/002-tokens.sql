-- Fulcrum schema 2: API tokens, each with a name (the actor in the change log) and a role.
--
-- Only a hash of each token is kept (BLAKE2b-256 through libsodium, as
-- lowercase hex): the tokens are 256 random bits, so a fast hash is enough,
-- and a copy of the database gives no way in. The token itself is shown
-- once, when it is created.
CREATE TABLE tokens (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE
		CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._@-]*'),
	role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
	created INTEGER NOT NULL
);
