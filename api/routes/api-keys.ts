// Credentials, for admins. The plaintext key appears once, in the answer to its creation. An admin key scoped to
// sites manages only keys scoped within its own sites: it lists and revokes those, and creates only those (docs/api.md).
import type pg from "pg";
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey, UnknownSitesError } from "../auth/keys.ts";
import { RoleSchema } from "../auth/roles.ts";
import { outOfScopeReference, outsideScope, refuseScoped, type SiteScope, siteScope } from "../auth/scope.ts";
import { ApiError, notFound } from "../errors.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { decodeCursor, IdOut, Name, PageQuery, page, RegistryKey, Timestamp, toPage } from "../schemas.ts";

export const KeySites = z
  .array(z.string())
  .nullable()
  .meta({ description: "the sites the key is limited to; null: every site" });

export const ApiKeyOut = z.object({
  id: IdOut,
  name: z.string(),
  role: RoleSchema,
  prefix: z.string().meta({ description: "the key's public first characters, to recognise it" }),
  created_at: Timestamp,
  last_used_at: Timestamp.nullable().meta({ description: "to the minute" }),
  revoked_at: Timestamp.nullable(),
  sites: KeySites,
});

const NewKey = z.strictObject({
  name: Name,
  role: RoleSchema,
  sites: z
    .array(RegistryKey)
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: "limit the key to these sites; absent: every site (only an unscoped admin may)" }),
});

/** A new key's sites: a scoped admin gives some, all within its own; an unknown one is a 400 or, when scoped, a 404. */
async function create(db: pg.Pool, scope: SiteScope, body: z.output<typeof NewKey>) {
  const sites = body.sites && [...new Set(body.sites)];
  if (outsideScope(scope, sites ?? []).length > 0) throw outOfScopeReference();
  try {
    return await createApiKey(db, body.name, body.role, sites);
  } catch (e) {
    if (!(e instanceof UnknownSitesError)) throw e;
    throw new ApiError(400, "invalid_reference", e.message, { sites: e.sites });
  }
}

const CreatedKey = ApiKeyOut.extend({
  key: z.string().meta({ description: "the secret: shown this once, stored only as a hash" }),
});

export function apiKeyRoutes(db: pg.Pool) {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/api-keys",
      operationId: "listApiKeys",
      summary: "List API keys (never their secrets)",
      tag: "api-keys",
      role: "admin",
      request: {
        query: z.strictObject({
          ...PageQuery,
          include_revoked: z
            .enum(["true", "false"])
            .default("true")
            .transform((v) => v === "true"),
        }),
      },
      response: { status: 200, description: "A page of keys, by id", schema: page(ApiKeyOut) },
      handler: async ({ query }, c) => {
        const afterId = (decodeCursor(query.cursor, "number") as number | undefined) ?? 0;
        const found = await listApiKeys(db, {
          includeRevoked: query.include_revoked,
          afterId,
          limit: query.limit + 1,
          within: siteScope(c),
        });
        return toPage(found, query.limit, (k) => k.id);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/api-keys",
      operationId: "createApiKey",
      summary: "Create an API key; the answer holds the key, which is not shown again",
      description:
        "With `sites`, the key sees only those sites. A scoped admin must give sites, all within its own (403 without).",
      tag: "api-keys",
      role: "admin",
      request: { body: NewKey },
      response: { status: 201, description: "The key with its secret", schema: CreatedKey },
      handler: async ({ body }, c) => {
        if (body.sites === undefined) refuseScoped(c, "create an unscoped key");
        return create(db, siteScope(c), body);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/api-keys/:api_key_id/revoke",
      operationId: "revokeApiKey",
      summary: "Revoke an API key at once; revoking twice keeps the first time",
      tag: "api-keys",
      role: "admin",
      request: { params: z.strictObject({ api_key_id: DbId }) },
      response: { status: 200, description: "The revoked key", schema: ApiKeyOut },
      handler: async ({ params }, c) => {
        const revoked = await revokeApiKey(db, params.api_key_id, siteScope(c));
        if (revoked === undefined) throw notFound("API key", params.api_key_id);
        return revoked;
      },
    }),
  ];
}
