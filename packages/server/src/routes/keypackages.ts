import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { b64, unb64 } from "../base64.js";
import { type AppContext, requireClient } from "../context.js";
import { ApiError } from "../errors.js";
import { inspectKeyPackagePair } from "../inspect.js";
import {
  ClaimBody,
  ClaimResponse,
  CountResponse,
  PublishKeyPackagesBody,
  StoredResponse,
} from "../schemas.js";

/** The KeyPackage-pair directory. */
export function keyPackageRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: z.infer<typeof PublishKeyPackagesBody> }>(
    "/v1/keypackages",
    {
      schema: {
        tags: ["key packages"],
        summary: "Publish KeyPackage pairs",
        description:
          "Each an APQMessagePair{mls_key_package} whose two KeyPackages carry the caller's identity. A last-resort pair replaces the older one.",
        body: PublishKeyPackagesBody,
        response: { 201: StoredResponse },
      },
    },
    async (req, reply) => {
      const client = requireClient(req);
      const pairs = [];
      for (const [i, s] of req.body.keyPackagePairsB64.entries()) {
        const field = `keyPackagePairsB64[${i}]`;
        const pair = unb64(s, field);
        const kp = await inspectKeyPackagePair(pair, client.identity, field);
        pairs.push({ pair, tRef: kp.tRef, lastResort: kp.lastResort });
      }
      const stored = await ctx.storage.addKeyPackages(client, pairs, ctx.clock());
      return reply.code(201).send({ stored });
    },
  );

  app.post<{ Body: z.infer<typeof ClaimBody> }>(
    "/v1/keypackages/claim",
    {
      schema: {
        tags: ["key packages"],
        summary: "Claim a KeyPackage pair of an identity",
        description:
          "Consumes one unused pair atomically; when none is left, returns the last-resort pair (not consumed).",
        body: ClaimBody,
        response: { 200: ClaimResponse },
      },
    },
    async (req) => {
      requireClient(req);
      const identity = unb64(req.body.identityB64, "identityB64");
      const r = await ctx.storage.claimKeyPackage(identity);
      if (r === undefined)
        throw new ApiError(
          404,
          "no_key_package",
          "this identity has no KeyPackage pair left (and no last-resort pair)",
        );
      return { keyPackagePairB64: b64(r.pair), lastResort: r.lastResort };
    },
  );

  app.get(
    "/v1/keypackages/count",
    {
      schema: {
        tags: ["key packages"],
        summary: "How many of the caller's pairs remain",
        response: { 200: CountResponse },
      },
    },
    async (req) => ctx.storage.countKeyPackages(requireClient(req).clientId),
  );
}
