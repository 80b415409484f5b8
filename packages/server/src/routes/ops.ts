import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { ErrorSchema } from "../schemas.js";

const Status = z.object({ status: z.string() });

/** Health, readiness, metrics and the OpenAPI document. */
export function opsRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["operations"],
        summary: "200 while the process runs",
        response: { 200: Status },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      schema: {
        tags: ["operations"],
        summary: "200 when the database answers, 503 otherwise",
        response: { 200: Status, 503: ErrorSchema },
      },
    },
    async () => {
      try {
        await ctx.storage.ping();
      } catch {
        throw new ApiError(
          503,
          "database_unavailable",
          "the database does not answer",
          {},
          { "retry-after": "5" },
        );
      }
      return { status: "ready" };
    },
  );

  app.get(
    "/metrics",
    { schema: { tags: ["operations"], summary: "Prometheus metrics (text format)" } },
    async (_req, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.text()),
  );

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
