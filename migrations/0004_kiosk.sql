-- Kiosk credentials. A PIN is an argon2 hash and always goes with a username. A badge code is
-- stored as HMAC-SHA256 under the server secret, so it can be looked up but not read back.
ALTER TABLE users ADD COLUMN pin_hash TEXT;
ALTER TABLE users ADD COLUMN badge_hash TEXT;
CREATE UNIQUE INDEX users_badge_hash ON users(badge_hash) WHERE badge_hash IS NOT NULL;
