import { parsePolicy } from "@hpqmls/pq-combiner";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { b64, unb64 } from "../base64.js";
import { type AppContext, loadGroup, requireClient, requireMember } from "../context.js";
import { ApiError, badRequest } from "../errors.js";
import { inspectGroupInfoPair } from "../inspect.js";
import {
  CreatedGroupResponse,
  CreateGroupBody,
  GroupIdParams,
  GroupListResponse,
  GroupResponse,
} from "../schemas.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Group creation and the group records. */
export function groupRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: z.infer<typeof CreateGroupBody> }>(
    "/v1/groups",
    {
      schema: {
        tags: ["groups"],
        summary: "Create a group from its epoch-0 GroupInfo pair",
        body: CreateGroupBody,
        response: { 201: CreatedGroupResponse },
      },
    },
    async (req, reply) => {
      const client = requireClient(req);
      const bytes = unb64(req.body.groupInfoPairB64, "groupInfoPairB64");
      const gi = await inspectGroupInfoPair(bytes, "groupInfoPairB64");
      if (gi.leaves !== null && !gi.leaves.some((l) => l !== null && sameBytes(l, client.identity)))
        throw badRequest(
          "not_in_group",
          "the GroupInfo's tree does not contain your identity: the creator must be its member",
        );
      const policy = parsePolicy(req.body.policy);
      const groupId = b64(gi.tGroupId);
      const created = await ctx.storage.createGroup({
        groupId,
        tGroupId: gi.tGroupId,
        pqGroupId: gi.pqGroupId,
        tSuite: gi.info.tCipherSuite,
        pqSuite: gi.info.pqCipherSuite,
        mode: gi.info.mode,
        tEpoch: gi.tEpoch,
        pqEpoch: gi.pqEpoch,
        policy,
        creator: client.identity,
        groupInfo: { pair: bytes, tEpoch: gi.tEpoch, pqEpoch: gi.pqEpoch, leaves: gi.leaves },
        now: ctx.clock(),
      });
      if (!created) throw new ApiError(409, "group_exists", `group ${groupId} already exists`);
      return reply.code(201).send({ groupId, tEpoch: gi.tEpoch, pqEpoch: gi.pqEpoch, policy });
    },
  );

  app.get(
    "/v1/groups",
    {
      schema: {
        tags: ["groups"],
        summary: "Groups the caller belongs to",
        response: { 200: GroupListResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const groups = await ctx.storage.groupsOf(client.identity);
      return Promise.all(
        groups.map(async (g) => ({
          groupId: g.groupId,
          tEpoch: g.tEpoch,
          pqEpoch: g.pqEpoch,
          members: (await ctx.storage.members(g.groupId)).map((m) => b64(m.identity)),
        })),
      );
    },
  );

  app.get<{ Params: z.infer<typeof GroupIdParams> }>(
    "/v1/groups/:groupId",
    {
      schema: {
        tags: ["groups"],
        summary: "A group's record (members only)",
        params: GroupIdParams,
        response: { 200: GroupResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      await requireMember(ctx, g, client);
      return {
        groupId: g.groupId,
        pqGroupId: b64(g.pqGroupId),
        tSuite: g.tSuite,
        pqSuite: g.pqSuite,
        mode: g.mode,
        tEpoch: g.tEpoch,
        pqEpoch: g.pqEpoch,
        lastSeq: g.lastSeq,
        members: (await ctx.storage.members(g.groupId)).map((m) => b64(m.identity)),
        lastFullAt: g.lastFullAt,
        commitsSinceFull: g.commitsSinceFull,
      };
    },
  );
}
