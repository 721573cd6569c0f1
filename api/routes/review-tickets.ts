// Review tickets: what jobs and processors found for people to look at, and their resolution.
import type pg from "pg";
import { z } from "zod";
import { siteScope } from "../auth/scope.ts";
import { row } from "../db.ts";
import { notFound } from "../errors.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { ExternalId, IdOut, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource } from "./crud.ts";

export const ReviewTicket = z.object({
  id: IdOut,
  device_id: z.string().nullable(),
  kind: z.string(),
  details: z.record(z.string(), z.unknown()),
  status: z.enum(["open", "resolved"]),
  dedupe_key: z.string(),
  created_at: Timestamp,
  resolved_at: Timestamp.nullable(),
});

export const reviewTickets: Resource = {
  name: "review ticket",
  singular: "ReviewTicket",
  plural: "ReviewTickets",
  tag: "review-tickets",
  path: "/api/v1/review-tickets",
  param: "ticket_id",
  paramSchema: DbId,
  table: "review_tickets",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM review_tickets t",
  row: ReviewTicket,
  // A device's ticket is of the device's site; a group's (reconciliation's group_mismatch) names its site in details.
  site: "coalesce((SELECT d.site_id FROM devices d WHERE d.device_id = t.device_id), t.details->>'site_id')",
  filters: {
    status: { schema: z.enum(["open", "resolved"]), column: "t.status" },
    kind: {
      schema: z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/)
        .max(100),
      column: "t.kind",
    },
    device_id: { schema: ExternalId, column: "t.device_id" },
  },
};

export function reviewTicketRoutes(db: pg.Pool) {
  return [
    ...crudRoutes(db, reviewTickets),
    defineRoute({
      method: "post",
      path: "/api/v1/review-tickets/:ticket_id/resolve",
      operationId: "resolveReviewTicket",
      summary: "Resolve a ticket; resolving a resolved ticket changes nothing",
      description: "The resolving key's name and the optional note are kept in details.resolution.",
      tag: "review-tickets",
      role: "operator",
      request: {
        params: z.strictObject({ ticket_id: DbId }),
        body: z.strictObject({ note: Text.optional() }).optional(),
      },
      response: { status: 200, description: "The ticket as stored", schema: ReviewTicket },
      handler: async ({ params, body }, c) => {
        const ticket = getter<z.input<typeof ReviewTicket>>(db, reviewTickets);
        // A ticket outside the key's sites is a 404 before anything is written.
        await ticket(params.ticket_id, siteScope(c));
        const resolution = { by: c.get("apiKey").name, note: body?.note ?? null };
        const updated = await row(
          db,
          `UPDATE review_tickets
           SET status = 'resolved', resolved_at = greatest(now(), created_at),
               details = details || jsonb_build_object('resolution', $2::jsonb)
           WHERE id = $1 AND status = 'open' RETURNING id`,
          [params.ticket_id, JSON.stringify(resolution)],
        );
        if (updated === undefined) {
          const exists = await row(db, "SELECT 1 FROM review_tickets WHERE id = $1", [params.ticket_id]);
          if (exists === undefined) throw notFound("review ticket", params.ticket_id);
        }
        return ticket(params.ticket_id);
      },
    }),
  ];
}
