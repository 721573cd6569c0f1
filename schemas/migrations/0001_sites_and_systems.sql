-- Up Migration
-- Sites and their systems, and what every registry table shares. Migrations are forward-only: a correction is
-- a new file, an applied file is never edited.

-- Natural keys chosen by people (site ids, hierarchy keys): readable in URLs, topics and config files.
CREATE DOMAIN registry_key AS text
  CHECK (VALUE ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$');

-- Ids that devices and vendors choose (device ids, charging station ids): printable ASCII, no spaces.
CREATE DOMAIN external_id AS text
  CHECK (VALUE ~ '^[!-~]{1,200}$');

-- True when Postgres knows the zone. Declared immutable so that CHECKs may use it: the zone names only
-- grow with tzdata updates.
CREATE FUNCTION is_known_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM now() AT TIME ZONE tz;
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END
$$;

-- Keeps updated_at true; the triggers run it only when a column really changed (WHEN OLD.* IS DISTINCT FROM NEW.*).
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE sites (
  id registry_key PRIMARY KEY,
  name text NOT NULL CHECK (name <> ''),
  timezone text NOT NULL CHECK (is_known_timezone(timezone)),
  emission_factor_kg_per_kwh double precision NOT NULL DEFAULT 0.5 CHECK (emission_factor_kg_per_kwh >= 0),
  hopecloud_plant_id text UNIQUE CHECK (hopecloud_plant_id <> ''),
  latitude double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision CHECK (longitude BETWEEN -180 AND 180),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER sites_touch BEFORE UPDATE ON sites
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch_updated_at();

CREATE TABLE systems (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id registry_key NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  key registry_key NOT NULL,
  name text CHECK (name <> ''),
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (site_id, key),
  -- Target of composite foreign keys: whatever names a system and a site names a system of that site.
  UNIQUE (site_id, id)
);
CREATE TRIGGER systems_touch BEFORE UPDATE ON systems
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch_updated_at();
