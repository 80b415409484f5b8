import {
  basicCredential,
  bytesEqual,
  type KeyPair,
  MlsError,
  toHex,
  utf8,
  WireFormat,
} from "@hpqmls/mls-core";
import {
  type ApqClient,
  ApqSession,
  type ApqSessionOptions,
  decodeApqMessage,
  type PendingCommit,
} from "@hpqmls/pq-combiner";
import {
  type BundlePair,
  decodeGroupRecord,
  decodeMemberRecord,
  encodeGroupRecord,
  encodeMemberRecord,
} from "./memberRecord.js";
import { EpochConflictError, ServiceClient, ServiceError } from "./serviceClient.js";
import { generateServiceKey } from "./signing.js";
import type { ClientStore } from "./store.js";

const MEMBER_KEY = "member";
const GROUP_PREFIX = "group/";

/** A message received in a group. */
export interface Received {
  readonly groupId: string;
  readonly sender: string;
  readonly text: string;
}

interface GroupState {
  session: ApqSession;
  /** Last sequence number processed. */
  cursor: number;
  /**
   * Own commits whose post failed with the outcome unknown and that were not (yet) in the log:
   * the service may still store one (a request it timed out can finish), so it is kept until
   * the log decides — merged when it appears there, dropped when another commit takes its epoch.
   * Kept in memory only.
   */
  unresolved: PendingCommit[];
}

/** Counters a demo or a test can print. */
export interface MemberStats {
  fullCommits: number;
  partialCommits: number;
  bytesSent: number;
  conflicts: number;
  /** Messages of the group log this member could not accept (see `ApqMember.rejected`). */
  rejected: number;
  /** GroupInfo publications the service refused or did not answer (see `publishGroupInfo`). */
  groupInfoFailures: number;
}

/** Every counter at zero. */
export function emptyMemberStats(): MemberStats {
  return {
    fullCommits: 0,
    partialCommits: 0,
    bytesSent: 0,
    conflicts: 0,
    rejected: 0,
    groupInfoFailures: 0,
  };
}

/**
 * A message of a group's log that this member refused: a replayed or tampered copy, garbage
 * from a hostile member, a message for an epoch it has left. The group state is unchanged (a
 * refused message is never half-applied) and the member goes on with the next message.
 */
export interface Rejected {
  readonly groupId: string;
  readonly seq: number;
  /** The sending client's id as the service recorded it (null if it recorded none). */
  readonly sender: string | null;
  /** The error's kind (codec, validation, crypto) and message; never secret material. */
  readonly reason: string;
}

/**
 * One APQ-MLS client driven through the delivery service: publishes KeyPackage pairs, creates
 * and joins groups, commits FULL or PARTIAL per the server's schedule, sends and receives.
 * Commits follow the DS discipline: post, merge only if accepted; on 409 (another commit won the
 * epoch) catch up and retry.
 */
export class ApqMember {
  private readonly bundles: BundlePair[] = [];
  private readonly groups = new Map<string, GroupState>();
  readonly inbox: Received[] = [];
  readonly rejected: Rejected[] = [];
  readonly stats: MemberStats = emptyMemberStats();

  private constructor(
    readonly name: string,
    readonly service: ServiceClient,
    private readonly client: ApqClient,
    private readonly options: ApqSessionOptions,
    private readonly serviceKey: KeyPair,
    private readonly store: ClientStore | undefined,
  ) {}

  static async register(
    baseUrl: string,
    name: string,
    options: ApqSessionOptions = {},
    serviceKey?: KeyPair,
    store?: ClientStore,
  ): Promise<ApqMember> {
    const identity = utf8(name);
    const client = await ApqSession.newClient(basicCredential(identity), options);
    const key = serviceKey ?? (await generateServiceKey());
    const service = await ServiceClient.register(baseUrl, identity, key);
    const member = new ApqMember(name, service, client, options, key, store);
    await member.saveMember();
    return member;
  }

  /**
   * The member saved in `store` (by `register` with that store), with its unused KeyPackage
   * pairs and every group it was in, each at its saved cursor; `sync` then catches up. `options`
   * adds what is not stored (group config); suites and mode come from the store.
   */
  static async restore(
    baseUrl: string,
    store: ClientStore,
    options: ApqSessionOptions = {},
  ): Promise<ApqMember> {
    const bytes = await store.get(MEMBER_KEY);
    if (bytes === undefined) throw new Error("no member is saved in this store");
    const rec = decodeMemberRecord(bytes);
    const opts: ApqSessionOptions = {
      ...options,
      ...(rec.tSuite === undefined ? {} : { tSuite: rec.tSuite }),
      ...(rec.pqSuite === undefined ? {} : { pqSuite: rec.pqSuite }),
      ...(rec.mode === undefined ? {} : { mode: rec.mode }),
    };
    const service = ServiceClient.connect(baseUrl, rec.clientId, rec.serviceKey);
    const member = new ApqMember(rec.name, service, rec.client, opts, rec.serviceKey, store);
    member.bundles.push(...rec.bundles);
    for (const key of await store.keys(GROUP_PREFIX)) {
      const g = await store.get(key);
      if (g === undefined) continue;
      const { cursor, session } = decodeGroupRecord(g);
      member.groups.set(key.slice(GROUP_PREFIX.length), {
        session: ApqSession.deserialize(session, opts),
        cursor,
        unresolved: [],
      });
    }
    return member;
  }

  /** Saves the member record (keys, unused KeyPackage pairs); no-op without a store. */
  private async saveMember(): Promise<void> {
    await this.store?.put(
      MEMBER_KEY,
      encodeMemberRecord({
        name: this.name,
        clientId: this.service.clientId,
        serviceKey: this.serviceKey,
        client: this.client,
        tSuite: this.options.tSuite,
        pqSuite: this.options.pqSuite,
        mode: this.options.mode,
        bundles: this.bundles,
      }),
    );
  }

  /** Saves one group's session with its cursor, as one record. */
  private async saveGroup(groupId: string): Promise<void> {
    const g = this.groups.get(groupId);
    if (this.store === undefined || g === undefined) return;
    await this.store.put(
      GROUP_PREFIX + groupId,
      encodeGroupRecord({ cursor: g.cursor, session: g.session.serialize() }),
    );
  }

  get identity(): Uint8Array {
    return utf8(this.name);
  }

  session(groupId: string): ApqSession {
    const g = this.groups.get(groupId);
    if (g === undefined) throw new Error(`${this.name} is not in group ${groupId}`);
    return g.session;
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Publishes `count` fresh KeyPackage pairs (keeping their private keys). */
  async publishKeyPackages(count = 3): Promise<void> {
    const pairs: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const kp = await ApqSession.keyPackagePair(this.client, this.options);
      this.bundles.push({ t: kp.t, pq: kp.pq });
      pairs.push(kp.message);
    }
    // The private keys are saved before the service can hand the KeyPackages out.
    await this.saveMember();
    await this.service.publishKeyPackages(pairs);
  }

  /** Creates a group on the service and establishes it with the first FULL commit. */
  async createGroup(policy?: unknown): Promise<string> {
    const session = await ApqSession.create(this.client, this.options);
    const created = await this.service.createGroup(await session.groupInfoPair(), policy);
    const state: GroupState = { session, cursor: 0, unresolved: [] };
    this.groups.set(created.groupId, state);
    await this.commit(created.groupId, (s) => s.fullCommit());
    return created.groupId;
  }

  /** Posts a commit; merges it if accepted, otherwise catches up and builds it again. */
  private async commit(
    groupId: string,
    build: (s: ApqSession) => Promise<PendingCommit>,
    attempts = 8,
  ): Promise<PendingCommit> {
    const g = this.state(groupId);
    for (let i = 0; ; i++) {
      const pending = await build(g.session);
      let seq: number;
      try {
        ({ seq } = await this.service.postMessage(groupId, pending.message, {
          ...(pending.welcome === undefined ? {} : { welcome: pending.welcome }),
        }));
      } catch (e) {
        // Past its retries the outcome may still be unknown (the service or the network failed
        // after the commit was stored): the log says. A commit that is in the log must be
        // merged, or this member would fork from the group.
        const stored =
          e instanceof EpochConflictError
            ? undefined
            : await this.ownMessageSeq(groupId, pending.message).catch(() => undefined);
        if (stored === undefined) {
          if (!(e instanceof EpochConflictError)) {
            g.unresolved.push(pending);
            throw e;
          }
          pending.discard();
          if (i + 1 >= attempts) throw e;
          this.stats.conflicts++;
          await this.sync(groupId);
          continue;
        }
        seq = stored;
      }
      // Messages of others accepted before this commit are in the epoch it leaves: process
      // them first, or they would be skipped when the cursor moves past the commit.
      await this.sync(groupId, seq - 1);
      await pending.merge();
      g.cursor = Math.max(g.cursor, seq);
      await this.saveGroup(groupId);
      this.countCommit(pending);
      await this.publishGroupInfo(groupId);
      return pending;
    }
  }

  private countCommit(p: PendingCommit): void {
    this.stats.bytesSent += p.message.length + (p.welcome?.length ?? 0);
    if (p.kind === "full") this.stats.fullCommits++;
    else this.stats.partialCommits++;
  }

  /** The seq of this client's message with exactly these bytes after the cursor, if stored. */
  private async ownMessageSeq(groupId: string, bytes: Uint8Array): Promise<number | undefined> {
    let after = this.state(groupId).cursor;
    for (;;) {
      const { messages } = await this.service.readMessages(groupId, after);
      if (messages.length === 0) return undefined;
      for (const m of messages)
        if (m.sender === this.service.clientId && bytesEqual(m.message, bytes)) return m.seq;
      after = messages[messages.length - 1]!.seq;
    }
  }

  /**
   * Publishes the GroupInfo pair of the current epoch for external joiners. The commit is
   * merged and saved by then: a refusal (a newer epoch's GroupInfo is already there) or an
   * outage only leaves joiners an older GroupInfo until the next commit, so it is counted, not
   * thrown.
   */
  private async publishGroupInfo(groupId: string): Promise<void> {
    try {
      await this.service.putGroupInfo(groupId, await this.state(groupId).session.groupInfoPair());
    } catch (e) {
      if (!(e instanceof ServiceError) && !(e instanceof TypeError)) throw e;
      this.stats.groupInfoFailures++;
    }
  }

  private state(groupId: string): GroupState {
    const g = this.groups.get(groupId);
    if (g === undefined) throw new Error(`${this.name} is not in group ${groupId}`);
    return g;
  }

  /** Adds a member by name: claims one of its KeyPackage pairs and makes a FULL commit. */
  async add(groupId: string, name: string): Promise<void> {
    const { pair } = await this.service.claimKeyPackage(utf8(name));
    await this.commit(groupId, async (s) => s.fullCommit({ add: [s.decodeKeyPackagePair(pair)] }));
  }

  /** Removes a member by name (a FULL commit). */
  async remove(groupId: string, name: string): Promise<void> {
    const who = `basic:${toHex(utf8(name))}`;
    await this.commit(groupId, (s) => s.fullCommit({ remove: [who] }));
  }

  /** A FULL or PARTIAL commit on demand. */
  async update(groupId: string, kind: "full" | "partial"): Promise<void> {
    await this.commit(groupId, (s) => (kind === "full" ? s.fullCommit() : s.partialCommit()));
  }

  /** Asks the server's schedule and performs the update it says is due. Returns what it did. */
  async followSchedule(groupId: string): Promise<"none" | "FULL" | "PARTIAL"> {
    await this.sync(groupId);
    const { decision } = await this.service.schedule(groupId);
    const s = this.session(groupId);
    // The joiner's first-FULL rule is local knowledge the server cannot have.
    const update = s.mustCommitFull ? "FULL" : (decision.update as "none" | "FULL" | "PARTIAL");
    if (update === "FULL") await this.update(groupId, "full");
    else if (update === "PARTIAL") await this.update(groupId, "partial");
    return update;
  }

  /** Sends a text message (after the update the schedule says is due, if any). */
  async send(groupId: string, text: string): Promise<void> {
    await this.followSchedule(groupId);
    for (let i = 0; ; i++) {
      const bytes = await this.session(groupId).encrypt(utf8(text));
      // Saved before posting: a restored member must never encrypt again under the key and
      // nonce of this generation (RFC 9420 §9.1); a crash now loses the message, never reuses.
      await this.saveGroup(groupId);
      try {
        await this.service.postMessage(groupId, bytes);
        // The cursor stays: messages of others accepted before this one are still to be read
        // (sync skips this client's own messages).
        this.stats.bytesSent += bytes.length;
        return;
      } catch (e) {
        if (!(e instanceof EpochConflictError) || i >= 4) throw e;
        this.stats.conflicts++;
        await this.sync(groupId);
      }
    }
  }

  /** Joins every group a waiting Welcome pair invites this client to. */
  async acceptWelcomes(): Promise<string[]> {
    const joined: string[] = [];
    for (const w of await this.service.welcomes()) {
      const bundle = this.bundleFor(w.welcome);
      if (bundle === undefined || this.groups.has(w.groupId)) {
        await this.service.deleteWelcome(w.seq);
        continue;
      }
      let session: ApqSession;
      try {
        session = await ApqSession.join(w.welcome, bundle, this.options);
      } catch (e) {
        // A Welcome that cannot be joined (tampered, or invalid) never will be: refuse it and
        // go on with the others; the KeyPackage stays for a valid one.
        if (!isInputError(e)) throw e;
        this.rejected.push({
          groupId: w.groupId,
          seq: w.seq,
          sender: null,
          reason: `${e.kind}: ${e.message}`,
        });
        this.stats.rejected++;
        await this.service.deleteWelcome(w.seq);
        continue;
      }
      // RFC 9420 §12.4.3.1: a group_id must be unique among this member's groups (T and PQ).
      if (this.holdsMlsGroupOf(session)) {
        this.rejected.push({
          groupId: w.groupId,
          seq: w.seq,
          sender: null,
          reason:
            "validation: RFC9420 §12.4.3.1: a Welcome for a group_id this member is already in",
        });
        this.stats.rejected++;
        await this.service.deleteWelcome(w.seq);
        continue;
      }
      this.groups.set(w.groupId, { session, cursor: w.seq, unresolved: [] });
      this.bundles.splice(this.bundles.indexOf(bundle), 1);
      await this.saveGroup(w.groupId);
      await this.saveMember();
      await this.service.deleteWelcome(w.seq);
      joined.push(w.groupId);
    }
    return joined;
  }

  /** Whether one of this member's sessions has the T or PQ group_id of `session`. */
  private holdsMlsGroupOf(session: ApqSession): boolean {
    const ids = [session.traditional.groupId, session.postQuantum.groupId];
    for (const { session: s } of this.groups.values())
      for (const mine of [s.traditional.groupId, s.postQuantum.groupId])
        if (ids.some((id) => bytesEqual(id, mine))) return true;
    return false;
  }

  /** The stored KeyPackage pair a Welcome pair is addressed to. */
  private bundleFor(welcomePair: Uint8Array): BundlePair | undefined {
    const m = decodeApqMessage(welcomePair);
    if (m.kind !== "pair" || m.pair.t.wireFormat !== WireFormat.mls_welcome) return undefined;
    const refs = new Set(m.pair.t.welcome.secrets.map((s) => toHex(s.newMember)));
    return this.bundles.find((b) => refs.has(toHex(b.t.ref)));
  }

  /** Joins a group by external commit from its published GroupInfo pair. */
  async joinExternal(groupId: string): Promise<void> {
    for (let i = 0; ; i++) {
      const { groupInfoPair } = await this.service.getGroupInfo(groupId);
      const { session, message } = await ApqSession.joinExternal(
        this.client,
        groupInfoPair,
        this.options,
      );
      let seq: number;
      try {
        ({ seq } = await this.service.postMessage(groupId, message));
      } catch (e) {
        if (!(e instanceof EpochConflictError) || i >= 4) throw e;
        this.stats.conflicts++;
        continue;
      }
      this.groups.set(groupId, { session, cursor: seq, unresolved: [] });
      await this.saveGroup(groupId);
      this.stats.fullCommits++;
      this.stats.bytesSent += message.length;
      await this.publishGroupInfo(groupId);
      return;
    }
  }

  /**
   * Processes every message of a group after the cursor (up to seq `upTo`); returns the new
   * texts.
   */
  async sync(groupId: string, upTo = Number.POSITIVE_INFINITY): Promise<Received[]> {
    const g = this.state(groupId);
    const got: Received[] = [];
    for (;;) {
      const { messages: page } = await this.service.readMessages(groupId, g.cursor);
      const messages = page.filter((m) => m.seq <= upTo);
      if (messages.length === 0) break;
      for (const m of messages) {
        g.cursor = m.seq;
        if (m.sender === this.service.clientId) {
          // One of this member's commits whose answer it never got: the log says it was
          // accepted, so it is merged now, in its place in the order.
          const own = g.unresolved.find((p) => bytesEqual(p.message, m.message));
          if (own !== undefined) {
            g.unresolved = g.unresolved.filter((p) => p !== own);
            await own.merge();
            this.countCommit(own);
          }
          continue;
        }
        if (!g.session.isActive) continue;
        let r: Awaited<ReturnType<ApqSession["process"]>>;
        try {
          r = await g.session.process(m.message);
        } catch (e) {
          // Bad input from the log must not wedge this member: refuse it and go on. Errors
          // that are this program's own fault (usage, internal) still propagate.
          if (!isInputError(e)) throw e;
          this.rejected.push({
            groupId,
            seq: m.seq,
            sender: m.sender,
            reason: `${e.kind}: ${e.message}`,
          });
          this.stats.rejected++;
          continue;
        }
        if (r.kind === "application") {
          const rec = {
            groupId,
            sender: identityName(r.sender),
            text: new TextDecoder().decode(r.data),
          };
          got.push(rec);
          this.inbox.push(rec);
        } else if (r.kind === "commit") {
          // Another commit took the epoch: no unresolved commit of this member can be accepted.
          for (const p of g.unresolved) p.discard();
          g.unresolved = [];
          if (r.removedSelf) {
            this.groups.delete(groupId);
            await this.store?.delete(GROUP_PREFIX + groupId);
            return got;
          }
        }
      }
      await this.saveGroup(groupId);
    }
    return got;
  }

  /** True while this client is a member of the group. */
  isMember(groupId: string): boolean {
    return this.groups.get(groupId)?.session.isActive ?? false;
  }
}

/** An error that bad input caused (codec, validation, crypto), not this program (usage, internal). */
function isInputError(e: unknown): e is MlsError {
  return (
    e instanceof MlsError && (e.kind === "codec" || e.kind === "validation" || e.kind === "crypto")
  );
}

/** "basic:<hex>" → the UTF-8 name. */
function identityName(identity: string): string {
  if (!identity.startsWith("basic:")) return identity;
  const hex = identity.slice(6);
  return new TextDecoder().decode(
    new Uint8Array(hex.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []),
  );
}
