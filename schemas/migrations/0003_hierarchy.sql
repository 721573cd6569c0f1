-- Up Migration
-- A system's equipment: adapters (driver instances), inverter arrays and inverters, battery arrays, packs,
-- batteries and cells, meters, and which battery arrays feed which inverter arrays. Every node has a surrogate
-- id and a key unique within its parent. Composite foreign keys on (system_id, …) keep a node's array and
-- adapter inside the node's own system. Ownership cascades on delete; references (adapter, device) are cleared.
-- A device measures at most one node of a kind; that check waits for the commit, so that one import can move a
-- device from one node to another.

CREATE TABLE adapter_types (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key registry_key NOT NULL UNIQUE,
  name text CHECK (name <> ''),
  protocol text CHECK (protocol <> ''),
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE adapters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id bigint NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
  key registry_key NOT NULL,
  adapter_type_id bigint NOT NULL REFERENCES adapter_types (id) ON DELETE RESTRICT,
  name text CHECK (name <> ''),
  config jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, key),
  UNIQUE (system_id, id)
);
CREATE INDEX adapters_type_idx ON adapters (adapter_type_id);

CREATE TABLE inverter_arrays (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id bigint NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
  key registry_key NOT NULL,
  name text CHECK (name <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, key),
  UNIQUE (system_id, id)
);

CREATE TABLE inverters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id bigint NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
  inverter_array_id bigint NOT NULL,
  key registry_key NOT NULL,
  name text CHECK (name <> ''),
  model text,
  serial_number text,
  rated_power_w double precision CHECK (rated_power_w > 0),
  adapter_id bigint,
  device_id external_id UNIQUE DEFERRABLE INITIALLY DEFERRED REFERENCES devices (device_id) ON DELETE SET NULL,
  -- The battery SOC the inverter reports, kept current by the stream; the fallback when no pack reports one.
  soc_pct double precision CHECK (soc_pct BETWEEN 0 AND 100),
  soc_observed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, key),
  FOREIGN KEY (system_id, inverter_array_id) REFERENCES inverter_arrays (system_id, id) ON DELETE CASCADE,
  FOREIGN KEY (system_id, adapter_id) REFERENCES adapters (system_id, id) ON DELETE SET NULL (adapter_id)
);
CREATE INDEX inverters_array_idx ON inverters (inverter_array_id);
CREATE INDEX inverters_adapter_idx ON inverters (adapter_id) WHERE adapter_id IS NOT NULL;

CREATE TABLE battery_arrays (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id bigint NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
  key registry_key NOT NULL,
  name text CHECK (name <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, key),
  UNIQUE (system_id, id)
);

-- Which battery arrays feed which inverter arrays (many to many), always within one system.
CREATE TABLE battery_array_attachments (
  system_id bigint NOT NULL,
  battery_array_id bigint NOT NULL,
  inverter_array_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (battery_array_id, inverter_array_id),
  FOREIGN KEY (system_id, battery_array_id) REFERENCES battery_arrays (system_id, id) ON DELETE CASCADE,
  FOREIGN KEY (system_id, inverter_array_id) REFERENCES inverter_arrays (system_id, id) ON DELETE CASCADE
);
CREATE INDEX battery_array_attachments_inverter_array_idx ON battery_array_attachments (inverter_array_id);

CREATE TABLE battery_packs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id bigint NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
  battery_array_id bigint NOT NULL,
  key registry_key NOT NULL,
  name text CHECK (name <> ''),
  model text,
  serial_number text,
  capacity_kwh double precision CHECK (capacity_kwh > 0),
  adapter_id bigint,
  device_id external_id UNIQUE DEFERRABLE INITIALLY DEFERRED REFERENCES devices (device_id) ON DELETE SET NULL,
  -- The pack's own SOC, kept current by the stream; preferred over the inverters' view.
  soc_pct double precision CHECK (soc_pct BETWEEN 0 AND 100),
  soc_observed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, key),
  FOREIGN KEY (system_id, battery_array_id) REFERENCES battery_arrays (system_id, id) ON DELETE CASCADE,
  FOREIGN KEY (system_id, adapter_id) REFERENCES adapters (system_id, id) ON DELETE SET NULL (adapter_id)
);
CREATE INDEX battery_packs_array_idx ON battery_packs (battery_array_id);
CREATE INDEX battery_packs_adapter_idx ON battery_packs (adapter_id) WHERE adapter_id IS NOT NULL;

CREATE TABLE batteries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  battery_pack_id bigint NOT NULL REFERENCES battery_packs (id) ON DELETE CASCADE,
  key registry_key NOT NULL,
  model text,
  serial_number text,
  capacity_kwh double precision CHECK (capacity_kwh > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (battery_pack_id, key)
);

CREATE TABLE cells (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  battery_id bigint NOT NULL REFERENCES batteries (id) ON DELETE CASCADE,
  cell_index integer NOT NULL CHECK (cell_index >= 1),
  nominal_voltage_v double precision CHECK (nominal_voltage_v > 0),
  capacity_ah double precision CHECK (capacity_ah > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (battery_id, cell_index)
);

CREATE TABLE meters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id bigint NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
  -- Set when the meter measures one inverter array rather than the whole system.
  inverter_array_id bigint,
  key registry_key NOT NULL,
  name text CHECK (name <> ''),
  role text NOT NULL DEFAULT 'grid' CHECK (role IN ('grid', 'load', 'pv', 'battery', 'ev', 'generator', 'other')),
  model text,
  serial_number text,
  adapter_id bigint,
  device_id external_id UNIQUE DEFERRABLE INITIALLY DEFERRED REFERENCES devices (device_id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, key),
  FOREIGN KEY (system_id, inverter_array_id) REFERENCES inverter_arrays (system_id, id)
    ON DELETE SET NULL (inverter_array_id),
  FOREIGN KEY (system_id, adapter_id) REFERENCES adapters (system_id, id) ON DELETE SET NULL (adapter_id)
);
CREATE INDEX meters_array_idx ON meters (inverter_array_id) WHERE inverter_array_id IS NOT NULL;
CREATE INDEX meters_adapter_idx ON meters (adapter_id) WHERE adapter_id IS NOT NULL;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['adapter_types', 'adapters', 'inverter_arrays', 'inverters', 'battery_arrays',
                           'battery_packs', 'batteries', 'cells', 'meters'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) '
                   'EXECUTE FUNCTION touch_updated_at()', t || '_touch', t);
  END LOOP;
END
$$;
