-- Up Migration
-- API credentials (docs/api.md). A key is shown once, at creation; only its SHA-256 is stored, next to a short
-- public prefix that finds the row without scanning. Roles nest: admin ⊃ operator ⊃ viewer. A revoked key is
-- kept (revoked_at set) so that audit logs that name its id stay resolvable.

CREATE TABLE api_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (name <> '' AND length(name) <= 200),
  role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  -- The key's leading characters ("wl_" and 12 random base62 characters): public, unique, the lookup handle.
  prefix text NOT NULL UNIQUE CHECK (prefix ~ '^wl_[A-Za-z0-9]{12}$'),
  -- SHA-256 of the whole key, hex. The key has 256 random bits, so a fast hash (no salt, no KDF) suffices.
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  CHECK (revoked_at >= created_at)
);
