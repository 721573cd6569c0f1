-- Up Migration
-- Tariffs (ENERGY_SEMANTICS.md, "Cost and derived figures"). A version is never changed or removed: a correction
-- is a new version. An hour's rate comes from the most specific scope (device, then site, then global) whose
-- latest effective_from is at or before the hour's start; of two versions with the same effective_from, the
-- later created wins.

CREATE TABLE cost_versions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cost_per_kwh numeric NOT NULL CHECK (cost_per_kwh >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  effective_from timestamptz NOT NULL,
  scope text NOT NULL CHECK (scope IN ('global', 'site', 'device')),
  -- The site id or device id; none for global.
  scope_id text,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope = 'global') = (scope_id IS NULL))
);
CREATE INDEX cost_versions_lookup_idx ON cost_versions (scope, scope_id, effective_from DESC, created_at DESC);

CREATE FUNCTION refuse_cost_version_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'cost_versions are immutable (% refused): add a new version instead', TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER cost_versions_immutable BEFORE UPDATE OR DELETE ON cost_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_cost_version_change();
CREATE TRIGGER cost_versions_no_truncate BEFORE TRUNCATE ON cost_versions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_cost_version_change();

-- scope_id names one of two tables, so no foreign key can check it; a version for an unknown site or device
-- would silently never apply. (A missing scope_id is the CHECK's to refuse.)
CREATE FUNCTION check_cost_version_scope() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.scope_id IS NULL THEN
    RETURN NEW;
  END IF;
  IF NEW.scope = 'site' AND NOT EXISTS (SELECT 1 FROM sites WHERE id = NEW.scope_id) THEN
    RAISE EXCEPTION 'cost version for unknown site %', NEW.scope_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF NEW.scope = 'device' AND NOT EXISTS (SELECT 1 FROM devices WHERE device_id = NEW.scope_id) THEN
    RAISE EXCEPTION 'cost version for unknown device %', NEW.scope_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER cost_versions_scope BEFORE INSERT ON cost_versions
  FOR EACH ROW EXECUTE FUNCTION check_cost_version_scope();
