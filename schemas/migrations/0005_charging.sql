-- Up Migration
-- EV charging stations, their charging points (one per connector), and the connector counts the stations
-- report (MQTT <account>/sweet-home/<station>/status-control/connectors-count), from which missing points
-- are created by `wattline charging reconcile`.

CREATE TABLE charging_stations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id external_id NOT NULL UNIQUE,
  -- Stations report their id with or without dashes; this form matches both, and being unique it never
  -- matches two stations.
  external_id_normalized text GENERATED ALWAYS AS (replace(external_id, '-', '')) STORED UNIQUE
    CHECK (external_id_normalized <> ''),
  name text CHECK (name <> ''),
  site_id registry_key REFERENCES sites (id) ON DELETE SET NULL,
  device_id external_id UNIQUE REFERENCES devices (device_id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charging_stations_site_idx ON charging_stations (site_id) WHERE site_id IS NOT NULL;
-- Columns named: a BEFORE trigger's WHEN may not read the whole row of a table with a generated column.
CREATE TRIGGER charging_stations_touch BEFORE UPDATE ON charging_stations
  FOR EACH ROW WHEN ((OLD.external_id, OLD.name, OLD.site_id, OLD.device_id)
    IS DISTINCT FROM (NEW.external_id, NEW.name, NEW.site_id, NEW.device_id))
  EXECUTE FUNCTION touch_updated_at();

CREATE TABLE charging_points (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  station_id bigint NOT NULL REFERENCES charging_stations (id) ON DELETE CASCADE,
  -- The connector number on the station: 1, 2, 3…
  point_number integer NOT NULL CHECK (point_number >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (station_id, point_number)
);

-- Counts as reported, station id exactly as in the topic (dashes or not). Filled by the charging processor.
CREATE TABLE charging_connector_counts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  station_id text NOT NULL CHECK (station_id <> ''),
  count integer NOT NULL CHECK (count >= 0),
  observed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charging_connector_counts_station_idx ON charging_connector_counts (station_id, observed_at DESC);
