import {
  ContentType,
  type Credential,
  CredentialType,
  encodeBytes,
  type GroupInfo,
  getCipherSuite,
  isLastResortKeyPackage,
  isSupportedCipherSuite,
  type KeyPackage,
  keyPackageRef,
  keyPackageTBSCodec,
  type MLSMessage,
  type Proposal,
  ProposalOrRefType,
  ProposalType,
  ratchetTreeFromExtensions,
  SenderType,
  verifyGroupInfoSignature,
  verifyWithLabel,
  WireFormat,
} from "@hpqmls/mls-core";
import {
  type ApqIncoming,
  type ApqInfo,
  type ApqMessagePair,
  apqInfoFromExtensions,
  decodeApqMessage,
  sameApqInfo,
  validateSuitePair,
} from "@hpqmls/pq-combiner";
import { ApiError, badRequest } from "./errors.js";
import type { MessageKind } from "./storage/types.js";

/**
 * What the delivery service reads from the bytes clients submit, with the mls-core and
 * pq-combiner decoders. The service holds no group secrets: it sees wire formats, group ids,
 * epochs and content types, and the contents of PublicMessages, KeyPackages, GroupInfos and the
 * KeyPackage references of Welcomes. Anything it cannot parse is a 400.
 */

function malformed(what: string, e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const reason = e instanceof Error ? e.message : String(e);
  return badRequest("malformed_message", `${what} cannot be parsed: ${reason}`);
}

function decode(bytes: Uint8Array, what: string): ApqIncoming {
  try {
    return decodeApqMessage(bytes);
  } catch (e) {
    throw malformed(what, e);
  }
}

function pairOf(bytes: Uint8Array, wireFormat: number, what: string): ApqMessagePair {
  const m = decode(bytes, what);
  if (m.kind !== "pair" || m.pair.wireFormat !== wireFormat)
    throw badRequest(
      "wrong_message_type",
      `${what} must be an APQMessagePair of ${wfName(wireFormat)}`,
    );
  return m.pair;
}

function wfName(wf: number): string {
  const name = Object.entries(WireFormat).find(([, v]) => v === wf)?.[0];
  return name ?? `wire format ${wf}`;
}

/** The identity bytes of a basic credential, else undefined. */
export function basicIdentity(c: Credential): Uint8Array | undefined {
  return c.credentialType === CredentialType.basic ? c.identity : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ------------------------------------------------------------------ key packages

export interface InspectedKeyPackagePair {
  readonly identity: Uint8Array;
  readonly lastResort: boolean;
  /** KeyPackageRef of the T KeyPackage. */
  readonly tRef: Uint8Array;
}

async function checkKeyPackageSignature(kp: KeyPackage, which: string): Promise<void> {
  if (!isSupportedCipherSuite(kp.cipherSuite))
    throw badRequest(
      "unsupported_cipher_suite",
      `the ${which} KeyPackage uses unsupported cipher suite 0x${kp.cipherSuite.toString(16)}`,
    );
  const suite = getCipherSuite(kp.cipherSuite);
  let ok = false;
  try {
    ok = await verifyWithLabel(
      suite,
      kp.leafNode.signatureKey,
      "KeyPackageTBS",
      encodeBytes(keyPackageTBSCodec, kp),
      kp.signature,
    );
  } catch {
    ok = false;
  }
  if (!ok) throw badRequest("bad_key_package", `the ${which} KeyPackage's signature is invalid`);
}

/**
 * A published KeyPackage pair: APQMessagePair{mls_key_package}, both KeyPackages signed and
 * carrying `identity` in a basic credential.
 */
export async function inspectKeyPackagePair(
  bytes: Uint8Array,
  identity: Uint8Array,
  field: string,
): Promise<InspectedKeyPackagePair> {
  const p = pairOf(bytes, WireFormat.mls_key_package, field);
  const t = (p.t as MLSMessage & { keyPackage: KeyPackage }).keyPackage;
  const pq = (p.pq as MLSMessage & { keyPackage: KeyPackage }).keyPackage;
  for (const [kp, which] of [
    [t, "T"],
    [pq, "PQ"],
  ] as const) {
    const id = basicIdentity(kp.leafNode.credential);
    if (id === undefined || !sameBytes(id, identity))
      throw badRequest(
        "identity_mismatch",
        `${field}: the ${which} KeyPackage must carry your registered identity in a basic credential`,
      );
    await checkKeyPackageSignature(kp, which);
  }
  const tLast = isLastResortKeyPackage(t);
  if (tLast !== isLastResortKeyPackage(pq))
    throw badRequest(
      "inconsistent_last_resort",
      `${field}: mark both KeyPackages of a pair as last resort, or neither`,
    );
  return {
    identity,
    lastResort: tLast,
    tRef: await keyPackageRef(getCipherSuite(t.cipherSuite), t),
  };
}

// ------------------------------------------------------------------ GroupInfo pairs

export interface InspectedGroupInfoPair {
  readonly info: ApqInfo;
  readonly tGroupId: Uint8Array;
  readonly pqGroupId: Uint8Array;
  /** The GroupContext epochs (the T one moves with PARTIAL commits too). */
  readonly tEpoch: number;
  readonly pqEpoch: number;
  /** Identity by leaf of the T tree (null: blank or not a basic credential), if present. */
  readonly leaves: (Uint8Array | null)[] | null;
}

async function checkGroupInfo(gi: GroupInfo, which: string, field: string) {
  let tree: ReturnType<typeof ratchetTreeFromExtensions>;
  try {
    tree = ratchetTreeFromExtensions(gi.extensions);
  } catch (e) {
    throw malformed(`${field} (the ${which} ratchet tree)`, e);
  }
  if (tree === undefined) return undefined;
  try {
    await verifyGroupInfoSignature(getCipherSuite(gi.groupContext.cipherSuite), gi, tree);
  } catch (e) {
    throw badRequest(
      "bad_group_info",
      `${field}: the ${which} GroupInfo does not verify: ${(e as Error).message}`,
    );
  }
  return tree;
}

/** A GroupInfo pair: APQInfo present and equal in both, matching both GroupContexts. */
export async function inspectGroupInfoPair(
  bytes: Uint8Array,
  field: string,
): Promise<InspectedGroupInfoPair> {
  const p = pairOf(bytes, WireFormat.mls_group_info, field);
  const t = (p.t as MLSMessage & { groupInfo: GroupInfo }).groupInfo;
  const pq = (p.pq as MLSMessage & { groupInfo: GroupInfo }).groupInfo;
  let ti: ApqInfo | undefined;
  let pi: ApqInfo | undefined;
  try {
    ti = apqInfoFromExtensions(t.groupContext.extensions);
    pi = apqInfoFromExtensions(pq.groupContext.extensions);
  } catch (e) {
    throw malformed(`${field} (APQInfo)`, e);
  }
  if (ti === undefined || pi === undefined || !sameApqInfo(ti, pi))
    throw badRequest(
      "bad_group_info",
      `${field}: both GroupInfos must carry the same APQInfo (component 0x0006)`,
    );
  try {
    validateSuitePair(ti.tCipherSuite, ti.pqCipherSuite, ti.mode);
  } catch (e) {
    throw badRequest("bad_group_info", `${field}: ${(e as Error).message}`);
  }
  if (
    !sameBytes(ti.tGroupId, t.groupContext.groupId) ||
    !sameBytes(ti.pqGroupId, pq.groupContext.groupId) ||
    ti.tCipherSuite !== t.groupContext.cipherSuite ||
    ti.pqCipherSuite !== pq.groupContext.cipherSuite
  )
    throw badRequest("bad_group_info", `${field}: APQInfo does not describe these two groups`);
  const tTree = await checkGroupInfo(t, "T", field);
  await checkGroupInfo(pq, "PQ", field);
  let leaves: (Uint8Array | null)[] | null = null;
  if (tTree !== undefined) {
    leaves = Array.from({ length: tTree.leafCount }, () => null);
    for (const [i, leaf] of tTree.members()) leaves[i] = basicIdentity(leaf.credential) ?? null;
  }
  return {
    info: ti,
    tGroupId: t.groupContext.groupId,
    pqGroupId: pq.groupContext.groupId,
    tEpoch: Number(t.groupContext.epoch),
    pqEpoch: Number(pq.groupContext.epoch),
    leaves,
  };
}

// ------------------------------------------------------------------ Welcome pairs

/** The T KeyPackage references a Welcome pair is addressed to. */
export function inspectWelcomePair(bytes: Uint8Array, field: string): Uint8Array[] {
  const p = pairOf(bytes, WireFormat.mls_welcome, field);
  const t = p.t as MLSMessage & { welcome: { secrets: { newMember: Uint8Array }[] } };
  return t.welcome.secrets.map((s) => s.newMember);
}

// ------------------------------------------------------------------ group messages

export interface InspectedMessage {
  readonly kind: MessageKind;
  readonly tGroupId: Uint8Array;
  /** Present for pairs. */
  readonly pqGroupId?: Uint8Array;
  readonly tEpoch: number;
  /** Present for pairs (both epochs must be current). */
  readonly pqEpoch?: number;
  /** Leaves removed by a PublicMessage commit. */
  readonly removedLeaves: number[];
  /** For an external join: the joiner's credential identity (from the T commit's path). */
  readonly joiner?: Uint8Array;
}

interface Framed {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: number;
  readonly senderType?: number;
  /** PublicMessage content (proposals, commits) when visible. */
  readonly proposals?: Proposal[];
  readonly path?: { leafNode: { credential: Credential } };
  readonly byReference?: boolean;
}

function framed(m: MLSMessage): Framed {
  if (m.wireFormat === WireFormat.mls_private_message)
    return {
      groupId: m.privateMessage.groupId,
      epoch: m.privateMessage.epoch,
      contentType: m.privateMessage.contentType,
    };
  if (m.wireFormat === WireFormat.mls_public_message) {
    const c = m.publicMessage.content;
    const base = {
      groupId: c.groupId,
      epoch: c.epoch,
      contentType: c.contentType,
      senderType: c.sender.senderType,
    };
    if (c.contentType === ContentType.proposal) return { ...base, proposals: [c.proposal] };
    if (c.contentType === ContentType.commit) {
      const proposals: Proposal[] = [];
      for (const p of c.commit.proposals)
        if (p.type === ProposalOrRefType.proposal) proposals.push(p.proposal);
      return {
        ...base,
        proposals,
        ...(c.commit.path === undefined ? {} : { path: c.commit.path }),
      };
    }
    return base;
  }
  throw badRequest(
    "wrong_message_type",
    `a group message must be a PublicMessage, a PrivateMessage or a pair of them (got ${wfName(m.wireFormat)})`,
  );
}

function refuseMembershipChange(f: Framed, what: string): void {
  const bad = (f.proposals ?? []).find(
    (p) => p.proposalType === ProposalType.add || p.proposalType === ProposalType.remove,
  );
  if (bad !== undefined)
    throw new ApiError(
      422,
      "membership_change_not_full",
      `${what} contains an ${bad.proposalType === ProposalType.add ? "Add" : "Remove"} proposal: adding and removing members is always a FULL commit (an APQMessagePair)`,
    );
}

function removedLeaves(f: Framed): number[] {
  return (f.proposals ?? [])
    .filter((p) => p.proposalType === ProposalType.remove)
    .map((p) => (p as Proposal & { removed: number }).removed);
}

/** Classifies a message posted to a group (API.md, "POST /v1/groups/{groupId}/messages"). */
export function inspectMessage(bytes: Uint8Array, field = "messageB64"): InspectedMessage {
  const m = decode(bytes, field);
  if (m.kind === "plain") {
    const f = framed(m.message);
    const tEpoch = Number(f.epoch);
    if (f.contentType === ContentType.application) {
      if (m.message.wireFormat === WireFormat.mls_public_message)
        throw badRequest(
          "wrong_message_type",
          "application messages must be PrivateMessages (RFC 9420 §6.2)",
        );
      return { kind: "application", tGroupId: f.groupId, tEpoch, removedLeaves: [] };
    }
    if (f.senderType === SenderType.new_member_commit)
      throw badRequest(
        "wrong_message_type",
        "an external join is an APQMessagePair of two external commits",
      );
    if (f.contentType === ContentType.commit) {
      refuseMembershipChange(f, "a PARTIAL (T-only) commit");
      return { kind: "partial-commit", tGroupId: f.groupId, tEpoch, removedLeaves: [] };
    }
    refuseMembershipChange(f, "a proposal sent on its own");
    return { kind: "proposal", tGroupId: f.groupId, tEpoch, removedLeaves: [] };
  }

  const p = m.pair;
  if (
    p.wireFormat !== WireFormat.mls_public_message &&
    p.wireFormat !== WireFormat.mls_private_message
  )
    throw badRequest(
      "wrong_message_type",
      `a ${wfName(p.wireFormat)} pair does not go to a group's messages (KeyPackage pairs: /v1/keypackages; GroupInfo pairs: /groupinfo; Welcome pairs: welcomeB64)`,
    );
  const t = framed(p.t);
  const pq = framed(p.pq);
  if (t.contentType !== pq.contentType)
    throw badRequest("malformed_message", "both halves of a pair must have the same content type");
  const base = {
    tGroupId: t.groupId,
    pqGroupId: pq.groupId,
    tEpoch: Number(t.epoch),
    pqEpoch: Number(pq.epoch),
  };
  if (t.contentType === ContentType.proposal) {
    refuseMembershipChange(t, "a proposal pair");
    refuseMembershipChange(pq, "a proposal pair");
    return { kind: "proposal", ...base, removedLeaves: [] };
  }
  const tExternal = t.senderType === SenderType.new_member_commit;
  const pqExternal = pq.senderType === SenderType.new_member_commit;
  if (tExternal !== pqExternal)
    throw badRequest(
      "malformed_message",
      "an external join needs an external commit in both groups",
    );
  if (tExternal) {
    const joiner = t.path === undefined ? undefined : basicIdentity(t.path.leafNode.credential);
    return {
      kind: "external-join",
      ...base,
      removedLeaves: removedLeaves(t),
      ...(joiner === undefined ? {} : { joiner }),
    };
  }
  return { kind: "full-commit", ...base, removedLeaves: removedLeaves(t) };
}
