-- Up Migration
-- Every telemetry-producing device and its energy settings (ENERGY_SEMANTICS.md). The stream processors read
-- these settings and LISTEN on channel device_settings (payload: the device id) to see changes without a restart.

CREATE TABLE devices (
  device_id external_id PRIMARY KEY,
  site_id registry_key NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  system_id bigint,
  group_name text CHECK (group_name <> ''),
  kind text NOT NULL CHECK (kind IN ('inverter', 'battery', 'meter', 'ev_charger', 'classroom', 'other')),
  timezone text NOT NULL DEFAULT 'UTC' CHECK (is_known_timezone(timezone)),
  max_power_w double precision NULL CHECK (max_power_w > 0),
  noise_wh double precision NOT NULL DEFAULT 1.0 CHECK (noise_wh >= 0),
  counter_persists_across_boot boolean NOT NULL DEFAULT false,
  expected_interval_s integer NOT NULL DEFAULT 60 CHECK (expected_interval_s > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- A device's system belongs to the device's site; deleting the system keeps the device, without a system.
  FOREIGN KEY (site_id, system_id) REFERENCES systems (site_id, id) ON DELETE SET NULL (system_id)
);
CREATE INDEX devices_site_idx ON devices (site_id);
CREATE INDEX devices_system_idx ON devices (system_id) WHERE system_id IS NOT NULL;
CREATE TRIGGER devices_touch BEFORE UPDATE ON devices
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch_updated_at();

-- Delivered at commit, once per device and transaction. A deleted device is announced too: its settings fall
-- back to the defaults. A renamed device announces both ids.
CREATE FUNCTION notify_device_settings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('device_settings', OLD.device_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('device_settings', NEW.device_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER devices_notify_write AFTER INSERT OR DELETE ON devices
  FOR EACH ROW EXECUTE FUNCTION notify_device_settings();
CREATE TRIGGER devices_notify_change AFTER UPDATE ON devices
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION notify_device_settings();
