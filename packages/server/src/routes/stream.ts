import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { type AppContext, loadGroup, requireClient, requireMember } from "../context.js";
import { badRequest } from "../errors.js";
import { GroupIdParams, StreamQuery } from "../schemas.js";

/** Server-Sent Events of a group's accepted messages. */
export function streamRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: z.infer<typeof GroupIdParams>; Querystring: z.infer<typeof StreamQuery> }>(
    "/v1/groups/:groupId/stream",
    {
      schema: {
        tags: ["messages"],
        summary: "Stream a group's messages (Server-Sent Events, members only)",
        description:
          "One event per accepted message (id: seq, data: the message object), after `after` or the Last-Event-ID header, replayed from the database first, then live.",
        params: GroupIdParams,
        querystring: StreamQuery,
      },
    },
    async (req, reply) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      const member = await requireMember(ctx, g, client, true);
      let after = req.query.after;
      const lastEventId = req.headers["last-event-id"];
      if (lastEventId !== undefined) {
        const n = Number(lastEventId);
        if (!Number.isSafeInteger(n) || n < 0)
          throw badRequest("invalid_request", "Last-Event-ID must be a message seq");
        after = Math.max(after, n);
      }
      ctx.streams.admit(client.clientId);
      reply.hijack();
      reply.raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      reply.raw.write(": stream open\n\n");
      ctx.streams.open(
        reply.raw,
        g.groupId,
        after,
        member.removedSeq,
        async () => {
          const m = await ctx.storage.member(g.groupId, client.identity);
          return m === undefined ? after : m.removedSeq;
        },
        client.clientId,
      );
    },
  );
}
