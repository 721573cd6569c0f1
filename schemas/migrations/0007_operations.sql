-- Up Migration
-- What the system's own jobs and processors record: review tickets for people, job runs, device connectivity.

CREATE TABLE review_tickets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Not a foreign key: a ticket may be about a device the registry does not know (yet).
  device_id text,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
  details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  -- Names the event (e.g. kind, device and day): a job that runs twice finds its ticket instead of adding one.
  dedupe_key text NOT NULL UNIQUE CHECK (dedupe_key <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
  CHECK (resolved_at >= created_at)
);
CREATE INDEX review_tickets_open_idx ON review_tickets (kind, created_at) WHERE status = 'open';
CREATE INDEX review_tickets_device_idx ON review_tickets (device_id) WHERE device_id IS NOT NULL;

CREATE TABLE job_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL CHECK (job <> ''),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  summary jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(summary) = 'object'),
  CHECK ((status = 'running') = (finished_at IS NULL)),
  CHECK (finished_at >= started_at)
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at DESC);

-- The current connectivity of each device. Not a foreign key: status may arrive before a device is registered.
CREATE TABLE device_status (
  device_id text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('online', 'offline')),
  last_seen timestamptz,
  changed_at timestamptz NOT NULL,
  reason text
);
CREATE INDEX device_status_offline_idx ON device_status (changed_at) WHERE status = 'offline';
