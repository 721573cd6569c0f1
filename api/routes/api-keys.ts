// Credentials, for admins. The plaintext key appears once, in the answer to its creation.
import type pg from "pg";
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../auth/keys.ts";
import { RoleSchema } from "../auth/roles.ts";
import { notFound } from "../errors.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { decodeCursor, IdOut, Name, PageQuery, page, Timestamp, toPage } from "../schemas.ts";

export const ApiKeyOut = z.object({
  id: IdOut,
  name: z.string(),
  role: RoleSchema,
  prefix: z.string().meta({ description: "the key's public first characters, to recognise it" }),
  created_at: Timestamp,
  last_used_at: Timestamp.nullable().meta({ description: "to the minute" }),
  revoked_at: Timestamp.nullable(),
});

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
      handler: async ({ query }) => {
        const afterId = (decodeCursor(query.cursor, "number") as number | undefined) ?? 0;
        const found = await listApiKeys(db, {
          includeRevoked: query.include_revoked,
          afterId,
          limit: query.limit + 1,
        });
        return toPage(found, query.limit, (k) => k.id);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/api-keys",
      operationId: "createApiKey",
      summary: "Create an API key; the answer holds the key, which is not shown again",
      tag: "api-keys",
      role: "admin",
      request: { body: z.strictObject({ name: Name, role: RoleSchema }) },
      response: { status: 201, description: "The key with its secret", schema: CreatedKey },
      handler: async ({ body }) => createApiKey(db, body.name, body.role),
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
      handler: async ({ params }) => {
        const revoked = await revokeApiKey(db, params.api_key_id);
        if (revoked === undefined) throw notFound("API key", params.api_key_id);
        return revoked;
      },
    }),
  ];
}
