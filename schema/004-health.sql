-- Fulcrum schema 4: health checks, the fallback ("sorry") server and min_up of each service,
-- and the check fields a real server overrides.
--
-- Each new column's DEFAULT is the model's default (model_check_init(): type
-- none, path '/', expect_status '200', verify_tls on, interval 5 s, timeout
-- 3 s, rise 2, fall 3, on_failure quiesce), so the rows of an older file come
-- out as services that check nothing, exactly as they behaved before. As in
-- schema 1 the rules live in the model; the CHECKs are a second line of
-- defence, enums are stored by their API names and addresses as inet_ntop()
-- text. (SQLite checks the CHECKs of an added column against the rows
-- already there, so these defaults are also what makes the upgrade pass.)

-- A service's check: what is asked of each real server, how often, and what a failure does.
ALTER TABLE services ADD COLUMN check_type TEXT NOT NULL DEFAULT 'none'
	CHECK (check_type IN ('none', 'tcp', 'http', 'https', 'external'));
ALTER TABLE services ADD COLUMN check_path TEXT NOT NULL DEFAULT '/'
	CHECK (length(CAST(check_path AS BLOB)) BETWEEN 1 AND 255 AND check_path GLOB '/*');
ALTER TABLE services ADD COLUMN check_host TEXT NOT NULL DEFAULT '' -- '': the address
	CHECK (length(CAST(check_host AS BLOB)) <= 255);
ALTER TABLE services ADD COLUMN check_head INTEGER NOT NULL DEFAULT 0 -- HEAD instead of GET
	CHECK (check_head IN (0, 1));
-- '200', '200-299,301'
ALTER TABLE services ADD COLUMN check_expect_status TEXT NOT NULL DEFAULT '200'
	CHECK (length(check_expect_status) BETWEEN 3 AND 63
	       AND check_expect_status NOT GLOB '*[^0-9,-]*');
ALTER TABLE services ADD COLUMN check_expect TEXT NOT NULL DEFAULT '' -- '': none
	CHECK (length(CAST(check_expect AS BLOB)) <= 255);
ALTER TABLE services ADD COLUMN check_expect_regex TEXT NOT NULL DEFAULT '' -- '': none
	CHECK (length(CAST(check_expect_regex AS BLOB)) <= 255
	       AND (check_expect_regex = '' OR check_expect = ''));
ALTER TABLE services ADD COLUMN check_verify_tls INTEGER NOT NULL DEFAULT 1
	CHECK (check_verify_tls IN (0, 1));
-- external: the program's absolute path and its arguments, space-separated; no shell runs it
ALTER TABLE services ADD COLUMN check_command TEXT NOT NULL DEFAULT ''
	CHECK (length(CAST(check_command AS BLOB)) <= 255
	       AND (check_command = '' OR check_command GLOB '/*')
	       AND (check_type <> 'external' OR check_command <> ''));
ALTER TABLE services ADD COLUMN check_interval INTEGER NOT NULL DEFAULT 5 -- seconds
	CHECK (check_interval BETWEEN 1 AND 3600);
ALTER TABLE services ADD COLUMN check_timeout INTEGER NOT NULL DEFAULT 3 -- at most the interval
	CHECK (check_timeout BETWEEN 1 AND 300 AND check_timeout <= check_interval);
ALTER TABLE services ADD COLUMN check_rise INTEGER NOT NULL DEFAULT 2
	CHECK (check_rise BETWEEN 1 AND 100);
ALTER TABLE services ADD COLUMN check_fall INTEGER NOT NULL DEFAULT 3
	CHECK (check_fall BETWEEN 1 AND 100);
ALTER TABLE services ADD COLUMN check_address TEXT; -- NULL: each real server's own address
ALTER TABLE services ADD COLUMN check_port INTEGER NOT NULL DEFAULT 0 -- 0: the real server's
	CHECK (check_port BETWEEN 0 AND 65535);
ALTER TABLE services ADD COLUMN check_on_failure TEXT NOT NULL DEFAULT 'quiesce'
	CHECK (check_on_failure IN ('quiesce', 'remove'));

-- The fallback server, put in when no real server is up: NULL address, none
-- (and then port 0 and masq).
ALTER TABLE services ADD COLUMN fallback_address TEXT;
ALTER TABLE services ADD COLUMN fallback_port INTEGER NOT NULL DEFAULT 0
	CHECK (fallback_port BETWEEN 0 AND 65535
	       AND (fallback_address IS NOT NULL OR fallback_port = 0));
ALTER TABLE services ADD COLUMN fallback_forwarding TEXT NOT NULL DEFAULT 'masq'
	CHECK (fallback_forwarding IN ('masq', 'route', 'tunnel')
	       AND (fallback_address IS NOT NULL OR fallback_forwarding = 'masq'));

-- Fewer real servers up than this: the service is degraded; 0: every enabled one must be up.
ALTER TABLE services ADD COLUMN min_up INTEGER NOT NULL DEFAULT 0
	CHECK (min_up BETWEEN 0 AND 65535);

-- A real server's own check: check_set holds a bit per field it overrides
-- (FULCRUM_CHECK_F_*: 0x1 type, 0x2 interval, 0x4 timeout, 0x8 rise,
-- 0x10 fall, 0x20 check_address, 0x40 check_port, 0x80 on_failure,
-- 0x100 verify_tls), and each overriding column is NULL exactly when its bit
-- is clear: NULL reads as "the service's". What is asked (path, host, the
-- answer expected, the command) is the service's alone.
ALTER TABLE reals ADD COLUMN check_set INTEGER NOT NULL DEFAULT 0
	CHECK (check_set BETWEEN 0 AND 511);
ALTER TABLE reals ADD COLUMN check_type TEXT
	CHECK (check_type IN ('none', 'tcp', 'http', 'https', 'external'));
ALTER TABLE reals ADD COLUMN check_interval INTEGER
	CHECK (check_interval BETWEEN 1 AND 3600);
ALTER TABLE reals ADD COLUMN check_timeout INTEGER
	CHECK (check_timeout BETWEEN 1 AND 300);
ALTER TABLE reals ADD COLUMN check_rise INTEGER
	CHECK (check_rise BETWEEN 1 AND 100);
ALTER TABLE reals ADD COLUMN check_fall INTEGER
	CHECK (check_fall BETWEEN 1 AND 100);
ALTER TABLE reals ADD COLUMN check_address TEXT;
ALTER TABLE reals ADD COLUMN check_port INTEGER
	CHECK (check_port BETWEEN 0 AND 65535);
ALTER TABLE reals ADD COLUMN check_on_failure TEXT
	CHECK (check_on_failure IN ('quiesce', 'remove'));
ALTER TABLE reals ADD COLUMN check_verify_tls INTEGER
	CHECK (check_verify_tls IN (0, 1))
	-- each value is there exactly when its bit is set (the last column added sees them all)
	CHECK (((check_set & 1) = 0) = (check_type IS NULL)
	       AND ((check_set & 2) = 0) = (check_interval IS NULL)
	       AND ((check_set & 4) = 0) = (check_timeout IS NULL)
	       AND ((check_set & 8) = 0) = (check_rise IS NULL)
	       AND ((check_set & 16) = 0) = (check_fall IS NULL)
	       AND ((check_set & 32) = 0) = (check_address IS NULL)
	       AND ((check_set & 64) = 0) = (check_port IS NULL)
	       AND ((check_set & 128) = 0) = (check_on_failure IS NULL)
	       AND ((check_set & 256) = 0) = (check_verify_tls IS NULL));
