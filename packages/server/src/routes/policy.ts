import {
  DEFAULT_POLICY,
  decide,
  type Policy,
  PolicySchema,
  parsePolicy,
  type SessionSnapshot,
} from "@hpqmls/pq-combiner";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { b64 } from "../base64.js";
import { type AppContext, loadGroup, requireClient, requireMember } from "../context.js";
import { GroupIdParams, InactiveResponse, ScheduleResponse } from "../schemas.js";
import type { GroupRecord, MemberRecord } from "../storage/types.js";

/** A stored policy (validated when stored; defaults if it somehow is not valid any more). */
function policyOf(g: GroupRecord): Policy {
  const r = PolicySchema.safeParse(g.policy);
  return r.success ? r.data : DEFAULT_POLICY;
}

/**
 * The server's view of the session for the policy engine: commits since the last FULL one,
 * application messages since the last commit, when the last FULL commit and the last commit
 * were accepted, and per member its last accepted commit (or when it joined).
 */
export function serverSnapshot(g: GroupRecord, members: readonly MemberRecord[]): SessionSnapshot {
  const lastActive: Record<string, number> = {};
  for (const m of members) lastActive[b64(m.identity)] = m.lastCommitAt ?? m.joinedAt;
  return {
    established: g.lastFullAt !== null,
    // Whether a joiner still owes its first FULL commit is the joiner's own knowledge.
    mustCommitFull: false,
    commitsSinceFull: g.commitsSinceFull,
    messagesSinceUpdate: g.messagesSinceCommit,
    lastFullAt: g.lastFullAt ?? g.createdAt,
    lastUpdateAt: g.lastCommitAt ?? g.createdAt,
    lastActive,
  };
}

/** The group policy, the update schedule and the inactivity report. */
export function policyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const params = { params: GroupIdParams };

  app.get<{ Params: z.infer<typeof GroupIdParams> }>(
    "/v1/groups/:groupId/policy",
    {
      schema: {
        tags: ["policy"],
        summary: "The group's update policy (any registered client)",
        ...params,
        response: { 200: PolicySchema },
      },
    },
    async (req) => {
      requireClient(req);
      return policyOf(await loadGroup(ctx, req.params.groupId));
    },
  );

  app.put<{ Params: z.infer<typeof GroupIdParams>; Body: z.input<typeof PolicySchema> }>(
    "/v1/groups/:groupId/policy",
    {
      schema: {
        tags: ["policy"],
        summary: "Replace the group's update policy (members only)",
        ...params,
        body: PolicySchema,
        response: { 200: PolicySchema },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      await requireMember(ctx, g, client);
      const policy = parsePolicy(req.body);
      await ctx.storage.setPolicy(g.groupId, policy);
      return policy;
    },
  );

  app.get<{ Params: z.infer<typeof GroupIdParams> }>(
    "/v1/groups/:groupId/schedule",
    {
      schema: {
        tags: ["policy"],
        summary: "The update due now, from decide() over the server's view (members only)",
        ...params,
        response: { 200: ScheduleResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      await requireMember(ctx, g, client);
      const snapshot = serverSnapshot(g, await ctx.storage.members(g.groupId));
      return { decision: decide(policyOf(g), snapshot, ctx.clock()), snapshot };
    },
  );

  app.get<{ Params: z.infer<typeof GroupIdParams> }>(
    "/v1/groups/:groupId/inactive",
    {
      schema: {
        tags: ["policy"],
        summary: "Members inactive longer than the policy's window (members only)",
        ...params,
        response: { 200: InactiveResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      await requireMember(ctx, g, client);
      const policy = policyOf(g);
      const snapshot = serverSnapshot(g, await ctx.storage.members(g.groupId));
      const { inactive } = decide(policy, snapshot, ctx.clock());
      return {
        inactive: [...inactive],
        inactivitySeconds: policy.inactivitySeconds,
        lastActive: snapshot.lastActive,
      };
    },
  );
}
