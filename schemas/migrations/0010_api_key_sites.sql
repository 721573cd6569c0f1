-- Up Migration
-- API keys scoped to sites (docs/api.md, "Keys scoped to sites"). A join table rather than a text[] column: the
-- foreign key refuses an unknown site at creation and follows a deleted site, and "which keys reach site X" is an
-- indexed lookup. site_scoped is what makes a key scoped, not the presence of rows: a scoped key whose sites were
-- all deleted must see nothing, never fall back to seeing everything.

ALTER TABLE api_keys ADD COLUMN site_scoped boolean NOT NULL DEFAULT false;

CREATE TABLE api_key_sites (
  api_key_id bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  site_id registry_key NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  PRIMARY KEY (api_key_id, site_id)
);
CREATE INDEX api_key_sites_site_idx ON api_key_sites (site_id);
