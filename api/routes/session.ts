// The presented key's own name and role, so that a client (the web app) shows only what that role may do. Viewers
// may ask: it tells a key nothing it does not already hold.
import { z } from "zod";
import { RoleSchema } from "../auth/roles.ts";
import { defineRoute } from "../openapi/route.ts";
import { KeySites } from "./api-keys.ts";

const Session = z.object({
  name: z.string(),
  role: RoleSchema,
  prefix: z.string(),
  sites: KeySites,
});

export function sessionRoutes() {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/session",
      operationId: "getSession",
      summary: "The key presented: its name, role, public prefix and sites",
      tag: "api-keys",
      role: "viewer",
      response: { status: 200, description: "The key's name, role, prefix and sites", schema: Session },
      handler: async (_input, c) => {
        const { name, role, prefix, sites } = c.get("apiKey");
        return { name, role, prefix, sites };
      },
    }),
  ];
}
