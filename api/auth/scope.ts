// A key's site scope (docs/api.md, "Keys scoped to sites"): undefined for an unscoped key, which sees everything, else
// the sites it may see. Routes filter in SQL with scopeCondition and check single rows with inScope; what is outside
// the scope answers as if it did not exist.
import type { Context } from "hono";
import { ApiError } from "../errors.ts";

/** undefined: unscoped. An empty list is a scoped key whose sites were all deleted: it sees nothing. */
export type SiteScope = readonly string[] | undefined;

export const siteScope = (c: Context): SiteScope => c.get("apiKey").sites ?? undefined;

/** Whether a row of `site` (null: tied to no site) is visible under `scope`. */
export const inScope = (scope: SiteScope, site: string | null | undefined): boolean =>
  scope === undefined || (site != null && scope.includes(site));

/** `sites` that `scope` does not cover (none for an unscoped key). */
export const outsideScope = (scope: SiteScope, sites: readonly string[]): string[] =>
  scope === undefined ? [] : sites.filter((s) => !scope.includes(s));

/**
 * `<siteSql> = ANY($n)` with the scope pushed onto `values`; undefined for an unscoped key (no condition). A row whose
 * site is NULL never matches.
 */
export function scopeCondition(siteSql: string, scope: SiteScope, values: unknown[]): string | undefined {
  if (scope === undefined) return undefined;
  values.push(scope);
  return `${siteSql} = ANY($${values.length}::text[])`;
}

/** The 403 for what only unscoped keys may do: things of every site, or tied to none. */
export function refuseScoped(c: Context, what: string): void {
  if (siteScope(c) !== undefined)
    throw new ApiError(403, "forbidden", `a key scoped to sites cannot ${what}`, { scoped: true });
}

/** The 404 for a write naming a record outside the key's scope: as if that record did not exist. */
export const outOfScopeReference = () =>
  new ApiError(404, "not_found", "the request names a record that does not exist");
