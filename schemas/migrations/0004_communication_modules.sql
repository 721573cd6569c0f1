-- Up Migration
-- HopeCloud communication modules ("divertors"), one row per HopeCloud module id, on the site whose
-- hopecloud_plant_id is the module's plant. Columns follow the HopeCloudModule record (schemas/avro).

CREATE TABLE communication_modules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id registry_key NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  hopecloud_id text NOT NULL UNIQUE CHECK (hopecloud_id <> ''),
  hopecloud_user_id text,
  serial text,
  name text,
  model text,
  firmware text,
  iccid text,
  operator text,
  -- HopeCloud's own signal scale, not dBm.
  rssi integer,
  -- 'unknown' for a missing or unrecognised HopeCloud code: never guessed to be offline. status_code keeps
  -- the raw code (1 online, 0 offline, 2 fault as far as known).
  status text NOT NULL DEFAULT 'unknown' CHECK (status IN ('online', 'offline', 'fault', 'unknown')),
  status_code integer,
  loaded_number integer CHECK (loaded_number >= 0),
  latitude double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision CHECK (longitude BETWEEN -180 AND 180),
  start_time timestamptz,
  stop_time timestamptz CHECK (stop_time >= start_time),
  last_update timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX communication_modules_site_idx ON communication_modules (site_id);
CREATE INDEX communication_modules_not_online_idx ON communication_modules (site_id) WHERE status <> 'online';
CREATE TRIGGER communication_modules_touch BEFORE UPDATE ON communication_modules
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch_updated_at();
