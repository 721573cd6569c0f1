-- Up Migration
-- Meter replacements recorded through the API (ENERGY_SEMANTICS.md, "Meter replacement"). The ledger folds the
-- event it reads from the telemetry topic; this table is the registry's account of who recorded what, and when.
-- A replacement is a fact about the past: no update, a correction is another event. Of two at one instant the
-- ledger counts the first, so the registry refuses the second.

CREATE TABLE meter_replacements (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
  ts timestamptz NOT NULL,
  old_final_wh_total double precision CHECK (old_final_wh_total >= 0),
  new_initial_wh_total double precision NOT NULL CHECK (new_initial_wh_total >= 0),
  note text,
  recorded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (device_id, ts)
);
