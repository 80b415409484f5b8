/**
 * Shared machinery for the combiner's test suites: a small in-memory "delivery service" over a
 * set of members, the agreement check every scenario runs after each step, state fingerprints
 * for "nothing changed" assertions, and tools to craft FULL commits that the session API would
 * never produce (by driving clones of a member's two MlsGroups).
 */
import {
  AppDataUpdateOperation,
  basicCredential,
  type ComponentHandler,
  decodeBytes,
  ExtProposalType,
  ExtPSKType,
  encodeBytes,
  type KeyPackage,
  type MLSMessage,
  MlsGroup,
  mlsMessageCodec,
  type Proposal,
  ProtocolVersion,
  type PskStore,
  type StagedCommit,
  stagedSafeExportSecret,
  toHex,
  utf8,
  Writer,
} from "@hpqmls/mls-core";
import { expect } from "vitest";
import {
  type ApqClient,
  type ApqInfo,
  type ApqInfoUpdate,
  type ApqPsk,
  type ApqReceived,
  ApqSession,
  type ApqSessionOptions,
  ApqUpdateType,
  apqCodePoints,
  apqInfoCodec,
  apqInfoFromExtensions,
  apqInfoUpdateCodec,
  defaultIdentityOf,
  deriveApqPsk,
  encodeMessagePair,
  type PendingCommit,
} from "../src/index.js";

// ------------------------------------------------------------------ suite pairs

export interface SuitePairCase {
  readonly label: string;
  readonly options: ApqSessionOptions;
}

export const DEFAULT_PAIR: SuitePairCase = {
  label: "T 0x0001 / PQ 0xF00A (ML-KEM-768 + ML-DSA-65), mode 1",
  options: {},
};

export const MODE0_PAIR: SuitePairCase = {
  label: "T 0x0001 / PQ 0xF006 (ML-KEM-768 + Ed25519), mode 0",
  options: { pqSuite: 0xf006, mode: 0 },
};

export const PAIRS: readonly SuitePairCase[] = [DEFAULT_PAIR, MODE0_PAIR];

// ------------------------------------------------------------------ small utilities

export const idOf = (name: string): string => defaultIdentityOf(basicCredential(utf8(name)));
export const hex = toHex;
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
export const encodeInfo = (i: ApqInfo): string => toHex(encodeBytes(apqInfoCodec, i));
export const encodeMessage = (m: MLSMessage): Uint8Array => encodeBytes(mlsMessageCodec, m);

/** Client material is expensive (ML-DSA key generation): cache it per name and options. */
const clientCache = new Map<string, Promise<ApqClient>>();
export function clientFor(name: string, options: ApqSessionOptions): Promise<ApqClient> {
  const key = `${name}|${options.tSuite ?? 1}|${options.pqSuite ?? 0xf00a}|${options.mode ?? 1}`;
  let c = clientCache.get(key);
  if (c === undefined) {
    c = ApqSession.newClient(basicCredential(utf8(name)), options);
    clientCache.set(key, c);
  }
  return c;
}

/** Returns the error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  expect.unreachable("expected the operation to fail");
  return undefined;
}

// ------------------------------------------------------------------ member views

export interface Member {
  readonly name: string;
  readonly id: string;
  readonly client: ApqClient;
  session: ApqSession;
}

/** What a member's session looks like from the outside: equal for all members of an epoch. */
export interface View {
  readonly tEpoch: bigint;
  readonly pqEpoch: bigint;
  readonly apqInfo: string;
  readonly tAuthenticator: string;
  readonly pqAuthenticator: string;
  readonly tExport: string;
  readonly pqExport: string;
  readonly members: readonly string[];
}

export const EXPORT_LABEL = "hpqmls combiner test";
const EXPORT_CONTEXT = utf8("context");

export async function viewOf(s: ApqSession): Promise<View> {
  return {
    tEpoch: s.tEpoch,
    pqEpoch: s.pqEpoch,
    apqInfo: encodeInfo(s.apqInfo),
    tAuthenticator: hex(s.traditional.epochAuthenticator),
    pqAuthenticator: hex(s.postQuantum.epochAuthenticator),
    tExport: hex(await s.exportSecret(EXPORT_LABEL, EXPORT_CONTEXT, 32)),
    pqExport: hex(await s.postQuantum.exportSecret(EXPORT_LABEL, EXPORT_CONTEXT, 32)),
    members: s.members().sort(),
  };
}

/**
 * Everything observable about a member, for "nothing changed" checks: the view plus the pending
 * proposals of both groups and the session's own bookkeeping.
 */
export async function fingerprint(s: ApqSession): Promise<unknown> {
  return {
    view: await viewOf(s),
    established: s.established,
    mustCommitFull: s.mustCommitFull,
    isActive: s.isActive,
    tPending: s.traditional.pendingProposals().map((p) => hex(p.ref)),
    pqPending: s.postQuantum.pendingProposals().map((p) => hex(p.ref)),
    fullRequests: s.pendingFullRequests(),
  };
}

/**
 * The invariant every scenario checks after every step: all members agree on both epochs,
 * APQInfo, both epoch authenticators, exporter outputs and the member list; APQInfo is the same
 * in both GroupContexts and records the PQ epoch (PQ epochs only move with FULL commits).
 */
export async function expectAgreement(members: readonly Member[]): Promise<View> {
  expect(members.length).toBeGreaterThan(0);
  const views = await Promise.all(members.map((m) => viewOf(m.session)));
  const first = views[0]!;
  for (const [i, v] of views.entries())
    expect(v, `${members[i]!.name} disagrees with ${members[0]!.name}`).toEqual(first);
  expect([...first.members]).toEqual(members.map((m) => m.id).sort());
  for (const m of members) {
    const s = m.session;
    expect(s.isActive).toBe(true);
    const ti = apqInfoFromExtensions(s.traditional.groupContext.extensions);
    const pi = apqInfoFromExtensions(s.postQuantum.groupContext.extensions);
    expect(ti && encodeInfo(ti)).toBe(encodeInfo(s.apqInfo));
    expect(pi && encodeInfo(pi)).toBe(encodeInfo(s.apqInfo));
    expect(s.apqInfo.pqEpoch).toBe(s.pqEpoch);
    expect(s.apqInfo.tEpoch <= s.tEpoch).toBe(true);
    expect(hex(s.apqInfo.tGroupId)).toBe(hex(s.traditional.groupId));
    expect(hex(s.apqInfo.pqGroupId)).toBe(hex(s.postQuantum.groupId));
    expect(s.apqInfo.tCipherSuite).toBe(s.traditional.suite.id);
    expect(s.apqInfo.pqCipherSuite).toBe(s.postQuantum.suite.id);
  }
  return first;
}

// ------------------------------------------------------------------ the group harness

/**
 * A set of members over one session plus an ideal delivery service: a commit is processed by
 * every other member, then merged by its author.
 */
export class Group {
  readonly members: Member[] = [];
  /** Every application message sent, and by how many members it was received. */
  readonly sent = new Map<string, number>();
  private counter = 0;

  constructor(readonly options: ApqSessionOptions) {}

  static async create(creator: string, options: ApqSessionOptions): Promise<Group> {
    const g = new Group(options);
    const client = await clientFor(creator, options);
    g.members.push({
      name: creator,
      id: idOf(creator),
      client,
      session: await ApqSession.create(client, options),
    });
    return g;
  }

  member(name: string): Member {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  others(name: string): Member[] {
    return this.members.filter((m) => m.name !== name);
  }

  /** Delivers a commit to everyone else, checks what they saw, then merges it at its author. */
  async deliver(author: string, c: PendingCommit): Promise<ApqReceived[]> {
    const results: ApqReceived[] = [];
    for (const m of this.others(author)) {
      const r = await m.session.process(c.message);
      expect(r.kind).toBe("commit");
      if (r.kind === "commit") {
        expect(r.commitKind).toBe(c.kind);
        if (!r.removedSelf) expect(r.sender).toBe(idOf(author));
      }
      results.push(r);
    }
    await c.merge();
    return results;
  }

  async full(author: string): Promise<void> {
    const s = this.member(author).session;
    const apqBefore = s.apqInfo;
    const c = await s.fullCommit();
    expect(c.kind).toBe("full");
    expect(c.welcome).toBeUndefined();
    await this.deliver(author, c);
    const after = await expectAgreement(this.members);
    expect(s.apqInfo.tEpoch).toBe(s.tEpoch);
    expect(s.apqInfo.pqEpoch).toBe(apqBefore.pqEpoch + 1n);
    expect(after.tEpoch).toBe(s.tEpoch);
  }

  async partial(author: string): Promise<void> {
    const s = this.member(author).session;
    const before = await viewOf(s);
    const c = await s.partialCommit();
    expect(c.kind).toBe("partial");
    await this.deliver(author, c);
    const after = await expectAgreement(this.members);
    expect(after.tEpoch).toBe(before.tEpoch + 1n);
    expect(after.pqEpoch).toBe(before.pqEpoch);
    expect(after.pqAuthenticator).toBe(before.pqAuthenticator);
    expect(after.apqInfo).toBe(before.apqInfo);
  }

  /** Sends one application message from `author`; every other member must read it. */
  async send(author: string): Promise<void> {
    const body = `${author} #${this.counter++}`;
    const bytes = await this.member(author).session.encrypt(utf8(body));
    let received = 0;
    for (const m of this.others(author)) {
      const r = await m.session.process(bytes);
      expect(r.kind).toBe("application");
      if (r.kind === "application") {
        expect(text(r.data)).toBe(body);
        expect(r.sender).toBe(idOf(author));
        received++;
      }
    }
    this.sent.set(body, received);
    expect(received).toBe(this.members.length - 1);
  }

  /** Everyone sends one message (application messages change no epoch: still in agreement). */
  async chat(): Promise<void> {
    for (const m of [...this.members]) await this.send(m.name);
    await expectAgreement(this.members);
  }

  /**
   * Adds members with one FULL commit (Welcome pair); each joiner must then commit FULL, which
   * it does at once (as the draft asks).
   */
  async add(author: string, names: readonly string[], joinerCommits = true): Promise<void> {
    const a = this.member(author).session;
    const clients = await Promise.all(names.map((n) => clientFor(n, this.options)));
    const kps = await Promise.all(clients.map((c) => ApqSession.keyPackagePair(c, this.options)));
    const c = await a.fullCommit({ add: kps.map((k) => a.decodeKeyPackagePair(k.message)) });
    expect(c.kind).toBe("full");
    expect(c.welcome).toBeDefined();
    const results = await this.deliver(author, c);
    for (const r of results)
      expect(r.kind === "commit" && [...r.added].sort()).toEqual(names.map(idOf).sort());
    for (const [i, name] of names.entries()) {
      const session = await ApqSession.join(
        c.welcome!,
        { t: kps[i]!.t, pq: kps[i]!.pq },
        this.options,
      );
      expect(session.mustCommitFull).toBe(true);
      expect(session.established).toBe(true);
      this.members.push({ name, id: idOf(name), client: clients[i]!, session });
    }
    await expectAgreement(this.members);
    if (joinerCommits) for (const name of names) await this.joinerFull(name);
  }

  /** A joiner's first commit: the policy says FULL, and it is. */
  async joinerFull(name: string): Promise<void> {
    const s = this.member(name).session;
    expect(s.mustCommitFull).toBe(true);
    await this.full(name);
    expect(s.mustCommitFull).toBe(false);
  }

  /** Removes members with one FULL commit; each removed member sees removedSelf. */
  async remove(author: string, names: readonly string[]): Promise<void> {
    const a = this.member(author).session;
    const c = await a.fullCommit({ remove: names.map(idOf) });
    const results = await this.deliver(author, c);
    for (const [i, m] of this.others(author).entries()) {
      const r = results[i]!;
      expect(r.kind).toBe("commit");
      if (r.kind !== "commit") continue;
      if (names.includes(m.name)) {
        expect(r.removedSelf).toBe(true);
        expect(m.session.isActive).toBe(false);
      } else {
        expect(r.removedSelf).toBe(false);
        expect([...r.removed].sort()).toEqual(names.map(idOf).sort());
      }
    }
    for (const n of names)
      this.members.splice(
        this.members.findIndex((m) => m.name === n),
        1,
      );
    await expectAgreement(this.members);
  }

  /** External join from a GroupInfo pair published by `via`. */
  async externalJoin(via: string, name: string): Promise<void> {
    const client = await clientFor(name, this.options);
    const gi = await this.member(via).session.groupInfoPair();
    const { session, message } = await ApqSession.joinExternal(client, gi, this.options);
    expect(session.established).toBe(true);
    for (const m of this.members) {
      const r = await m.session.process(message);
      expect(r.kind === "commit" && r.commitKind).toBe("full");
      expect(r.kind === "commit" && r.sender).toBe(idOf(name));
      expect(r.kind === "commit" && r.added).toEqual([idOf(name)]);
    }
    this.members.push({ name, id: idOf(name), client, session });
    const v = await expectAgreement(this.members);
    expect(session.apqInfo.tEpoch).toBe(v.tEpoch);
  }

  /** Every member's serialised state (restore with `Group.fromSnapshot`, any number of times). */
  snapshot(): GroupSnapshot {
    return {
      options: this.options,
      members: this.members.map((m) => ({
        name: m.name,
        id: m.id,
        client: m.client,
        blob: m.session.serialize(),
      })),
    };
  }

  /**
   * An independent copy of a group saved with `snapshot()`.
   */
  static fromSnapshot(s: GroupSnapshot): Group {
    const g = new Group(s.options);
    for (const m of s.members)
      g.members.push({
        name: m.name,
        id: m.id,
        client: m.client,
        session: ApqSession.deserialize(m.blob.slice(), s.options),
      });
    return g;
  }

  /** Saves and restores a member from its serialised state. */
  async restore(name: string): Promise<void> {
    const m = this.member(name);
    const before = await fingerprint(m.session);
    const blob = m.session.serialize();
    m.session = ApqSession.deserialize(blob, this.options);
    expect(await fingerprint(m.session)).toEqual(before);
    expect(m.session.activity()).toEqual(ApqSession.deserialize(blob, this.options).activity());
  }
}

export interface GroupSnapshot {
  readonly options: ApqSessionOptions;
  readonly members: readonly {
    readonly name: string;
    readonly id: string;
    readonly client: ApqClient;
    readonly blob: Uint8Array;
  }[];
}

const snapshots = new Map<string, Promise<GroupSnapshot>>();

/**
 * An established group: `names[0]` creates the session and adds the others with one FULL
 * commit, then each joiner makes its FULL commit. Built once per names and options (a
 * snapshot), and restored from saved state for every caller, so each gets an independent copy.
 */
export async function established(
  names: readonly string[],
  options: ApqSessionOptions,
): Promise<Group> {
  const key = JSON.stringify([names, options]);
  let snap = snapshots.get(key);
  if (snap === undefined) {
    snap = (async () => {
      const g = await Group.create(names[0]!, options);
      if (names.length > 1) await g.add(names[0]!, names.slice(1));
      return g.snapshot();
    })();
    snapshots.set(key, snap);
  }
  return Group.fromSnapshot(await snap);
}

// ------------------------------------------------------------------ crafting FULL commits

/** A component handler that applies APQInfo updates without any check (for crafting only). */
export const permissiveApqHandler: ComponentHandler = {
  applyUpdate(current, updates) {
    let info = current === undefined ? undefined : decodeBytes(apqInfoCodec, current);
    for (const u of updates.map((b) => decodeBytes(apqInfoUpdateCodec, b))) {
      if (u.updateType === ApqUpdateType.full_update) info = u.info;
      else if (info === undefined) return undefined;
      else if (u.updateType === ApqUpdateType.new_t_epoch) info = { ...info, tEpoch: u.epoch };
      else info = { ...info, pqEpoch: u.epoch };
    }
    return info === undefined ? undefined : encodeBytes(apqInfoCodec, info);
  },
  allowRemove: () => true,
  ephemeral: () => true,
};

/**
 * An independent copy of one of a member's groups (from its serialised state), with a component
 * handler that accepts any APQInfo update and a PSK store of the test's choosing.
 */
export function cloneGroup(g: MlsGroup, psks?: PskStore): MlsGroup {
  return MlsGroup.deserialize(g.serialize().slice(), {
    config: { components: new Map([[apqCodePoints().componentId, permissiveApqHandler]]) },
    ...(psks === undefined ? {} : { psks }),
  });
}

export function appDataUpdate(u: ApqInfoUpdate): Proposal {
  return {
    proposalType: ExtProposalType.app_data_update,
    componentId: apqCodePoints().componentId,
    op: AppDataUpdateOperation.update,
    update: encodeBytes(apqInfoUpdateCodec, u),
  };
}

export function epochUpdates(tEpoch: bigint, pqEpoch: bigint): ApqInfoUpdate[] {
  return [
    { updateType: ApqUpdateType.new_t_epoch, epoch: tEpoch },
    { updateType: ApqUpdateType.new_pq_epoch, epoch: pqEpoch },
  ];
}

/** A PSK store that answers exactly one application PSK. */
export function oneApplicationPsk(componentId: number, pskId: Uint8Array, psk: Uint8Array) {
  return {
    external: () => undefined,
    application: (c: number, id: Uint8Array) =>
      c === componentId && hex(id) === hex(pskId) ? psk.slice() : undefined,
  } satisfies PskStore;
}

export interface CraftOptions {
  /** APQInfo updates of the PQ commit (default: the epoch pair of the two new epochs). */
  readonly pqUpdates?: readonly ApqInfoUpdate[];
  /** APQInfo updates of the T commit (default: the same as the PQ commit). */
  readonly tUpdates?: readonly ApqInfoUpdate[];
  /**
   * The PSK of the T commit: the real apq_psk (default), none, the right value under a wrong
   * id, another value under the right id, the right id under another component, or anything
   * given explicitly.
   */
  readonly psk?:
    | "apq"
    | "none"
    | "wrong-id"
    | "wrong-value"
    | "other-component"
    | { readonly componentId: number; readonly pskId: Uint8Array; readonly psk: Uint8Array };
  readonly tAdd?: readonly KeyPackage[];
  readonly pqAdd?: readonly KeyPackage[];
  readonly tRemove?: readonly number[];
  readonly pqRemove?: readonly number[];
  readonly tPublic?: boolean;
  readonly pqPublic?: boolean;
  /** UpdatePaths (default true in both, as the session always sends them). */
  readonly tPath?: boolean;
  readonly pqPath?: boolean;
  /** Take the PQ half from this member's PQ group instead (halves from different committers). */
  readonly pqFrom?: ApqSession;
}

export interface Crafted {
  readonly t: MLSMessage;
  readonly pq: MLSMessage;
  readonly tStaged: StagedCommit;
  readonly pqStaged: StagedCommit;
  readonly apq: ApqPsk;
  /** The two halves as an APQMessagePair (hand-encoded if their wire formats differ). */
  readonly message: Uint8Array;
}

/**
 * Builds a FULL commit the way the session does (PQ commit, apq_psk of the staged PQ epoch, T
 * commit injecting it, both with an UpdatePath) but from clones of the author's two groups, so
 * any part of it can be made wrong. The author's real session is not touched.
 */
export async function craftFull(author: ApqSession, o: CraftOptions = {}): Promise<Crafted> {
  const pqSource = o.pqFrom ?? author;
  const pqUpdates = o.pqUpdates ?? epochUpdates(author.tEpoch + 1n, pqSource.pqEpoch + 1n);
  const tUpdates = o.tUpdates ?? pqUpdates;
  const pqGroup = cloneGroup(pqSource.postQuantum);
  const pqRes = await pqGroup.commit({
    add: o.pqAdd ?? [],
    remove: o.pqRemove ?? [],
    proposals: pqUpdates.map(appDataUpdate),
    path: o.pqPath ?? true,
    publicMessage: o.pqPublic ?? false,
  });
  const tSuite = author.traditional.suite;
  const apq = await deriveApqPsk(
    tSuite,
    await stagedSafeExportSecret(pqRes.staged, apqCodePoints().componentId),
  );
  const c = apqCodePoints().componentId;
  const mode = o.psk ?? "apq";
  const spec =
    mode === "apq"
      ? { componentId: c, pskId: apq.pskId, psk: apq.psk }
      : mode === "wrong-id"
        ? { componentId: c, pskId: tSuite.randomBytes(tSuite.kdf.Nh), psk: apq.psk }
        : mode === "wrong-value"
          ? { componentId: c, pskId: apq.pskId, psk: tSuite.randomBytes(tSuite.kdf.Nh) }
          : mode === "other-component"
            ? { componentId: c + 1, pskId: apq.pskId, psk: apq.psk }
            : mode === "none"
              ? undefined
              : mode;
  const tGroup = cloneGroup(
    author.traditional,
    spec === undefined ? undefined : oneApplicationPsk(spec.componentId, spec.pskId, spec.psk),
  );
  const tRes = await tGroup.commit({
    add: o.tAdd ?? [],
    remove: o.tRemove ?? [],
    psks:
      spec === undefined
        ? []
        : [
            {
              psktype: ExtPSKType.application,
              componentId: spec.componentId,
              pskId: spec.pskId,
              pskNonce: tSuite.randomBytes(tSuite.kdf.Nh),
            },
          ],
    proposals: tUpdates.map(appDataUpdate),
    path: o.tPath ?? true,
    publicMessage: o.tPublic ?? false,
  });
  const message =
    tRes.commit.wireFormat === pqRes.commit.wireFormat
      ? encodeMessagePair({ wireFormat: tRes.commit.wireFormat, t: tRes.commit, pq: pqRes.commit })
      : rawPair(tRes.commit.wireFormat, tRes.commit, pqRes.commit);
  return {
    t: tRes.commit,
    pq: pqRes.commit,
    tStaged: tRes.staged,
    pqStaged: pqRes.staged,
    apq,
    message,
  };
}

/** An APQMessagePair encoded by hand, bypassing every sender-side check. */
export function rawPair(wireFormat: number, t: MLSMessage, pq: MLSMessage): Uint8Array {
  const w = new Writer(4096);
  w.u16(ProtocolVersion.mls10);
  w.u16(apqCodePoints().messagePairWireFormat);
  w.u16(wireFormat);
  mlsMessageCodec.encode(w, t);
  mlsMessageCodec.encode(w, pq);
  return w.finish();
}

/** The full_update AppDataUpdate content for an APQInfo. */
export function fullUpdate(info: ApqInfo): ApqInfoUpdate[] {
  return [{ updateType: ApqUpdateType.full_update, info }];
}
