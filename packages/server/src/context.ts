import type { FastifyRequest } from "fastify";
import { b64 } from "./base64.js";
import { forbidden, notFound, unauthorized } from "./errors.js";
import type { Metrics } from "./metrics.js";
import type {
  ClientRecord,
  GroupRecord,
  MemberRecord,
  Storage,
  StoredMessage,
} from "./storage/types.js";
import type { StreamHub } from "./streams.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated client of a signed request (null on public routes). */
    client: ClientRecord | null;
    /** The raw JSON body (signed requests hash these exact bytes). */
    rawBody: Buffer | null;
  }
  interface FastifyContextConfig {
    /** A /v1 route that needs no signed request. */
    public?: boolean;
  }
}

/** What every route handler needs. */
export interface AppContext {
  readonly storage: Storage;
  /** ms since the Unix epoch, for the group timeline (activity, policy). */
  readonly clock: () => number;
  readonly metrics: Metrics;
  readonly streams: StreamHub;
}

export function requireClient(req: FastifyRequest): ClientRecord {
  if (req.client === null)
    throw unauthorized("unauthenticated", "this endpoint needs a signed request");
  return req.client;
}

export async function loadGroup(ctx: AppContext, groupId: string): Promise<GroupRecord> {
  const g = await ctx.storage.getGroup(groupId);
  if (g === undefined) throw notFound(`group ${groupId}`);
  return g;
}

/** The caller's membership record; 403 unless a current member (or `allowFormer`). */
export async function requireMember(
  ctx: AppContext,
  group: GroupRecord,
  client: ClientRecord,
  allowFormer = false,
): Promise<MemberRecord> {
  const m = await ctx.storage.member(group.groupId, client.identity);
  if (m === undefined || (m.removedSeq !== null && !allowFormer))
    throw forbidden(`only members of group ${group.groupId} may do this`);
  return m;
}

export function messageView(m: StoredMessage) {
  return {
    seq: m.seq,
    kind: m.kind,
    tEpoch: m.tEpoch,
    pqEpoch: m.pqEpoch,
    sender: m.sender,
    messageB64: b64(m.body),
  };
}
