import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { b64 } from "../base64.js";
import { type AppContext, requireClient } from "../context.js";
import { DeletedResponse, WelcomeParams, WelcomeQuery, WelcomesResponse } from "../schemas.js";

/** Welcome pairs waiting for the caller's identity. */
export function welcomeRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    "/v1/welcomes",
    {
      schema: {
        tags: ["welcomes"],
        summary: "Welcome pairs waiting for the caller",
        description:
          "`seq` is the seq of the commit that added the caller: read the group's messages after it.",
        response: { 200: WelcomesResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const waiting = await ctx.storage.welcomesFor(client.identity);
      return waiting.map((w) => ({ groupId: w.groupId, welcomeB64: b64(w.body), seq: w.seq }));
    },
  );

  app.delete<{ Params: z.infer<typeof WelcomeParams>; Querystring: z.infer<typeof WelcomeQuery> }>(
    "/v1/welcomes/:seq",
    {
      schema: {
        tags: ["welcomes"],
        summary: "Drop a processed Welcome pair (idempotent)",
        params: WelcomeParams,
        querystring: WelcomeQuery,
        response: { 200: DeletedResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const deleted = await ctx.storage.deleteWelcome(
        client.identity,
        req.params.seq,
        req.query.groupId,
      );
      return { deleted };
    },
  );
}
