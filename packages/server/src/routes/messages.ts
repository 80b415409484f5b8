import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { unb64 } from "../base64.js";
import {
  type AppContext,
  loadGroup,
  messageView,
  requireClient,
  requireMember,
} from "../context.js";
import { badRequest, duplicateMessage, epochConflict, forbidden, notFound } from "../errors.js";
import { inspectGroupInfoPair, inspectMessage, inspectWelcomePair } from "../inspect.js";
import {
  AcceptedResponse,
  ErrorSchema,
  GroupIdParams,
  MessagesQuery,
  MessagesResponse,
  PostMessageBody,
} from "../schemas.js";
import type { GroupRecord } from "../storage/types.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkGroupIds(g: GroupRecord, t: Uint8Array, pq: Uint8Array | undefined): void {
  if (!sameBytes(t, g.tGroupId)) {
    if (sameBytes(t, g.pqGroupId))
      throw badRequest(
        "wrong_group",
        "PQ-group messages travel in APQMessagePairs with their T counterpart",
      );
    throw badRequest("wrong_group", `the message is not for group ${g.groupId}`);
  }
  if (pq !== undefined && !sameBytes(pq, g.pqGroupId))
    throw badRequest("wrong_group", `the PQ half is not for the PQ group of ${g.groupId}`);
}

/** The ordered message log of a group. */
export function messageRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Params: z.infer<typeof GroupIdParams>; Body: z.infer<typeof PostMessageBody> }>(
    "/v1/groups/:groupId/messages",
    {
      schema: {
        tags: ["messages"],
        summary: "Post a message (commit, proposal, application message, external join)",
        description:
          "A commit for T epoch e is accepted iff e is current (a FULL pair: both epochs current); the first wins, later ones get 409 and nothing is stored. Posting the same bytes again is idempotent: 200 with the stored copy's seq (409 duplicate_message if another client posted them).",
        params: GroupIdParams,
        body: PostMessageBody,
        response: {
          200: AcceptedResponse,
          201: AcceptedResponse,
          409: ErrorSchema,
          422: ErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      const body = unb64(req.body.messageB64, "messageB64");
      const m = inspectMessage(body);
      checkGroupIds(g, m.tGroupId, m.pqGroupId);
      if (
        m.kind === "external-join" &&
        m.joiner !== undefined &&
        !sameBytes(m.joiner, client.identity)
      )
        throw forbidden("an external join must carry your own registered identity");

      let welcome: { body: Uint8Array; recipients: Uint8Array[] } | undefined;
      if (req.body.welcomeB64 !== undefined) {
        if (m.kind !== "full-commit")
          throw badRequest("unexpected_welcome", "a Welcome pair accompanies a FULL commit only");
        const wBytes = unb64(req.body.welcomeB64, "welcomeB64");
        const refs = inspectWelcomePair(wBytes, "welcomeB64");
        const recipients = await ctx.storage.identitiesOfKeyPackageRefs(refs);
        welcome = { body: wBytes, recipients };
      }
      let groupInfo: Awaited<ReturnType<typeof inspectGroupInfoPair>> | undefined;
      let giBytes: Uint8Array | undefined;
      if (req.body.groupInfoPairB64 !== undefined) {
        giBytes = unb64(req.body.groupInfoPairB64, "groupInfoPairB64");
        groupInfo = await inspectGroupInfoPair(giBytes, "groupInfoPairB64");
        checkGroupIds(g, groupInfo.tGroupId, groupInfo.pqGroupId);
      }

      const r = await ctx.storage.appendMessage({
        groupId: g.groupId,
        kind: m.kind,
        tEpoch: m.tEpoch,
        pqEpoch: m.pqEpoch ?? null,
        sender: { clientId: client.clientId, identity: client.identity },
        body,
        ...(welcome === undefined ? {} : { welcome }),
        removedLeaves: m.removedLeaves,
        now: ctx.clock(),
      });
      if (!r.ok) {
        if (r.reason === "not_found") throw notFound(`group ${g.groupId}`);
        if (r.reason === "not_member")
          throw forbidden(`only members of group ${g.groupId} may post (or an external join)`);
        if (r.reason === "duplicate") {
          ctx.metrics.duplicates.inc({ kind: m.kind, outcome: "replay" });
          throw duplicateMessage(r.seq);
        }
        ctx.metrics.epochConflicts.inc({ kind: m.kind });
        throw epochConflict(r.tEpoch, r.pqEpoch);
      }
      if (r.duplicate === true) {
        ctx.metrics.duplicates.inc({ kind: m.kind, outcome: "retry" });
        // The same client posted these bytes before (e.g. retrying after a lost answer): the
        // stored copy's answer again, nothing new stored or fanned out.
        const { seq, kind, tEpoch, pqEpoch } = r.message;
        return reply.code(200).send({ seq, kind, tEpoch, pqEpoch });
      }
      ctx.metrics.accepted.inc({ kind: m.kind });
      if (groupInfo !== undefined && giBytes !== undefined) {
        const put = await ctx.storage.putGroupInfo(
          g.groupId,
          client.identity,
          {
            pair: giBytes,
            tEpoch: groupInfo.tEpoch,
            pqEpoch: groupInfo.pqEpoch,
            leaves: groupInfo.leaves,
          },
          ctx.clock(),
        );
        if (!put.ok && put.reason === "epoch_ahead")
          req.log.info({ groupId: g.groupId }, "groupInfoPairB64 is for a later epoch; not stored");
      }
      const { seq, kind, tEpoch, pqEpoch } = r.message;
      return reply.code(201).send({ seq, kind, tEpoch, pqEpoch });
    },
  );

  app.get<{ Params: z.infer<typeof GroupIdParams>; Querystring: z.infer<typeof MessagesQuery> }>(
    "/v1/groups/:groupId/messages",
    {
      schema: {
        tags: ["messages"],
        summary: "Read a group's messages in order (members only)",
        params: GroupIdParams,
        querystring: MessagesQuery,
        response: { 200: MessagesResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      const g = await loadGroup(ctx, req.params.groupId);
      const member = await requireMember(ctx, g, client, true);
      const { after, limit } = req.query;
      const messages = await ctx.storage.readMessages(g.groupId, after, limit, member.removedSeq);
      return {
        messages: messages.map(messageView),
        next: messages.length === 0 ? after : messages[messages.length - 1]!.seq,
      };
    },
  );
}
