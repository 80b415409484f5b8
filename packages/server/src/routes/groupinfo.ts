import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { b64, unb64 } from "../base64.js";
import { type AppContext, loadGroup, requireClient } from "../context.js";
import { badRequest, epochConflict, forbidden, notFound } from "../errors.js";
import { inspectGroupInfoPair } from "../inspect.js";
import {
  GroupIdParams,
  GroupInfoBody,
  GroupInfoResponse,
  PutGroupInfoResponse,
} from "../schemas.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** GroupInfo pairs for external joins; a current one also tells the service the members. */
export function groupInfoRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.put<{ Params: z.infer<typeof GroupIdParams>; Body: z.infer<typeof GroupInfoBody> }>(
    "/v1/groups/:groupId/groupinfo",
    {
      schema: {
        tags: ["groups"],
        summary: "Publish the GroupInfo pair of the current epoch (members only)",
        description:
          "An older pair than the stored one is ignored (stored: false). The members in a current pair's tree become the group's members.",
        params: GroupIdParams,
        body: GroupInfoBody,
        response: { 200: PutGroupInfoResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      const bytes = unb64(req.body.groupInfoPairB64, "groupInfoPairB64");
      const gi = await inspectGroupInfoPair(bytes, "groupInfoPairB64");
      if (!sameBytes(gi.tGroupId, g.tGroupId) || !sameBytes(gi.pqGroupId, g.pqGroupId))
        throw badRequest("wrong_group", `the GroupInfo pair is not for group ${g.groupId}`);
      const r = await ctx.storage.putGroupInfo(
        g.groupId,
        client.identity,
        { pair: bytes, tEpoch: gi.tEpoch, pqEpoch: gi.pqEpoch, leaves: gi.leaves },
        ctx.clock(),
      );
      if (r.ok) return { stored: r.stored, tEpoch: r.tEpoch, pqEpoch: r.pqEpoch };
      if (r.reason === "not_found") throw notFound(`group ${g.groupId}`);
      if (r.reason === "not_member")
        throw forbidden(`only members of group ${g.groupId} may do this`);
      throw epochConflict(
        r.tEpoch,
        r.pqEpoch,
        "this GroupInfo pair is for an epoch the group has not reached",
      );
    },
  );

  app.get<{ Params: z.infer<typeof GroupIdParams> }>(
    "/v1/groups/:groupId/groupinfo",
    {
      schema: {
        tags: ["groups"],
        summary: "The stored GroupInfo pair (any registered client, for external joins)",
        params: GroupIdParams,
        response: { 200: GroupInfoResponse },
      },
    },
    async (req) => {
      requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      const gi = await ctx.storage.getGroupInfo(g.groupId);
      if (gi === undefined) throw notFound(`a GroupInfo pair of group ${g.groupId}`);
      return { groupInfoPairB64: b64(gi.pair), tEpoch: gi.tEpoch, pqEpoch: gi.pqEpoch };
    },
  );
}
