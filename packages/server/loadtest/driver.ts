import { randomBytes } from "node:crypto";
import { ApqMember, authorizationHeader, b64, generateServiceKey } from "@hpqmls/client";
import { type KeyPair, utf8 } from "@hpqmls/mls-core";

/**
 * A concurrent load driver over the real HTTP API: registered clients (signed requests), real
 * APQ-MLS groups set up with `ApqMember` (FULL commits, Welcome pairs), then every client posts
 * real MLS application messages (its sessions encrypt them) to its groups while reading every
 * group it belongs to with `GET …/messages?after=<cursor>`. Afterwards each reader's log is
 * checked against the 201 answers: every accepted message read back exactly once, in seq order.
 */

export interface Participant {
  readonly index: number;
  readonly name: string;
  readonly member: ApqMember;
  readonly key: KeyPair;
  readonly clientId: string;
  readonly groups: string[];
}

export interface LoadGroup {
  readonly groupId: string;
  readonly members: Participant[];
  /** The group's last seq when the load started (setup commits are before it). */
  readonly baseline: number;
}

export interface Fixture {
  readonly participants: Participant[];
  readonly groups: LoadGroup[];
}

export interface SetupOptions {
  readonly clients: number;
  readonly groups: number;
  /** Members per group (≤ clients). */
  readonly membersPerGroup: number;
  readonly log?: (line: string) => void;
}

interface Entry {
  readonly seq: number;
  readonly b64: string;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** Time of the HTTP exchange (signing excluded). */
  readonly ms: number;
}

/** One signed request with fetch; the latency covers the HTTP exchange only. */
export async function signedFetch(
  baseUrl: string,
  who: Pick<Participant, "clientId" | "key">,
  method: string,
  path: string,
  json?: unknown,
): Promise<Reply> {
  const body = json === undefined ? new Uint8Array(0) : utf8(JSON.stringify(json));
  const headers: Record<string, string> = {
    authorization: await authorizationHeader(who.clientId, who.key, method, path, body),
  };
  if (json !== undefined) headers["content-type"] = "application/json";
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(json === undefined ? {} : { body }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, ms };
}

async function pool<T>(items: readonly T[], width: number, fn: (x: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Registers the clients and sets up the groups through the service (not measured). */
export async function setupGroups(url: string, o: SetupOptions): Promise<Fixture> {
  if (o.membersPerGroup < 1 || o.membersPerGroup > o.clients)
    throw new Error("members per group must be between 1 and the number of clients");
  const run = randomBytes(4).toString("hex");
  const participants: Participant[] = new Array(o.clients);
  const joins = new Array<number>(o.clients).fill(0);
  const layout = Array.from({ length: o.groups }, (_, g) =>
    Array.from({ length: o.membersPerGroup }, (_, j) => (g * o.membersPerGroup + j) % o.clients),
  );
  for (const members of layout) for (const i of members.slice(1)) joins[i]!++;
  await pool(
    Array.from({ length: o.clients }, (_, i) => i),
    8,
    async (i) => {
      const key = await generateServiceKey();
      const name = `load-${run}-${i}`;
      const member = await ApqMember.register(url, name, {}, key);
      if (joins[i]! > 0) await member.publishKeyPackages(joins[i]!);
      participants[i] = {
        index: i,
        name,
        member,
        key,
        clientId: member.service.clientId,
        groups: [],
      };
    },
  );
  const groups: LoadGroup[] = [];
  // One group at a time: a member joining two groups at once would race its own Welcomes.
  for (const layoutMembers of layout) {
    const members = layoutMembers.map((i) => participants[i]!);
    const creator = members[0]!;
    const groupId = await creator.member.createGroup();
    for (const m of members.slice(1)) await creator.member.add(groupId, m.name);
    for (const m of members.slice(1)) {
      const joined = await m.member.acceptWelcomes();
      if (!joined.includes(groupId)) throw new Error(`${m.name} did not join ${groupId}`);
    }
    for (const m of members) await m.member.sync(groupId);
    let baseline = 0;
    for (;;) {
      const page = await creator.member.service.readMessages(groupId, baseline, 500);
      if (page.messages.length === 0) break;
      baseline = page.next;
    }
    for (const m of members) m.groups.push(groupId);
    groups.push({ groupId, members, baseline });
    o.log?.(`  group ${groups.length}/${layout.length} ready (${members.length} members)`);
  }
  return { participants, groups };
}

export interface GroupCheck {
  readonly groupId: string;
  /** Messages that got a 201. */
  readonly accepted: number;
  /** Messages each member read back (in member order). */
  readonly readBy: number[];
  readonly lost: number;
  readonly duplicated: number;
  /** Read messages that no post of this run sent (nor any post of unknown outcome). */
  readonly phantom: number;
  /** Reads out of seq order, or with another seq than the 201 said. */
  readonly misordered: number;
}

export interface Verification {
  readonly groups: GroupCheck[];
  readonly lost: number;
  readonly duplicated: number;
  readonly phantom: number;
  readonly misordered: number;
}

export interface StoreCheck {
  /** Accepted messages of the run found stored. */
  readonly accepted: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Posts without a 2xx (the server died or answered 5xx): stored once, or not at all. */
  readonly unknownStored: number;
  readonly unknownMissing: number;
  /** False if some group's seqs are not 1, 2, 3, … */
  readonly gapless: boolean;
}

export interface RunOptions {
  /**
   * A server outage is part of the test: connection errors and 5xx are counted as outage (not
   * as errors), posts without an answer are of unknown outcome, reads are retried.
   */
  readonly tolerateOutage?: boolean;
  /** Messages per GET (default 200). */
  readonly readLimit?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The load itself: start(), then stopPosting(), drain(), verify(). */
export class LoadRun {
  readonly accepted = new Map<string, Entry[]>();
  /** b64 of posts that got no answer, or a 5xx, per group. */
  readonly unknown = new Map<string, Set<string>>();
  /** What each reader read: key `${participant}|${groupId}`. */
  readonly reads = new Map<string, Entry[]>();
  readonly cursors = new Map<string, number>();
  /** Error answers (and network failures when no outage is expected), by kind. */
  readonly errors = new Map<string, number>();
  /** Failures while the server was down (tolerateOutage). */
  readonly outage = new Map<string, number>();
  readonly postLatency: number[] = [];
  readonly readLatency: number[] = [];
  requests = 0;
  acceptedCount = 0;
  inFlightPosts = 0;
  readCount = 0;
  startedAt = 0;
  stoppedAt = 0;
  private posting = false;
  private draining = false;
  private posters: Promise<void>[] = [];
  private readers: Promise<void>[] = [];

  constructor(
    readonly fixture: Fixture,
    /** The server's base URL (may change between an outage and the restart). */
    public url: string,
    readonly options: RunOptions = {},
  ) {
    for (const g of fixture.groups) {
      this.accepted.set(g.groupId, []);
      this.unknown.set(g.groupId, new Set());
      for (const m of g.members) {
        this.reads.set(`${m.index}|${g.groupId}`, []);
        this.cursors.set(`${m.index}|${g.groupId}`, g.baseline);
      }
    }
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** A failed request: error or outage. Returns after a short back-off. */
  private async failed(kind: string, status: number | undefined): Promise<void> {
    const outage = this.options.tolerateOutage && (status === undefined || status >= 500);
    this.count(outage ? this.outage : this.errors, kind);
    await sleep(outage ? 50 : 10);
  }

  start(): void {
    this.startedAt = performance.now();
    this.posting = true;
    for (const p of this.fixture.participants)
      if (p.groups.length > 0) {
        this.posters.push(this.poster(p));
        this.readers.push(this.reader(p));
      }
  }

  private async poster(p: Participant): Promise<void> {
    for (let i = 0; this.posting; i++) {
      const groupId = p.groups[i % p.groups.length]!;
      const bytes = await p.member.session(groupId).encrypt(utf8(`${p.name} #${i}`));
      const messageB64 = b64(bytes);
      this.inFlightPosts++;
      let r: Reply | undefined;
      try {
        r = await signedFetch(this.url, p, "POST", `/v1/groups/${groupId}/messages`, {
          messageB64,
        });
      } catch {}
      this.inFlightPosts--;
      this.requests++;
      if (r?.status === 201) {
        const seq = (r.body as { seq: number }).seq;
        this.accepted.get(groupId)!.push({ seq, b64: messageB64 });
        this.acceptedCount++;
        this.postLatency.push(r.ms);
        continue;
      }
      if (r === undefined || r.status >= 500) this.unknown.get(groupId)!.add(messageB64);
      await this.failed(
        r === undefined ? "post: no answer" : `post: ${r.status} ${errorCode(r.body)}`,
        r?.status,
      );
    }
  }

  private async reader(p: Participant): Promise<void> {
    const limit = this.options.readLimit ?? 200;
    for (;;) {
      const draining = this.draining;
      let got = 0;
      let failures = 0;
      for (const groupId of p.groups) {
        const key = `${p.index}|${groupId}`;
        const after = this.cursors.get(key)!;
        let r: Reply | undefined;
        try {
          r = await signedFetch(
            this.url,
            p,
            "GET",
            `/v1/groups/${groupId}/messages?after=${after}&limit=${limit}`,
          );
        } catch {}
        this.requests++;
        if (r?.status !== 200) {
          failures++;
          await this.failed(
            r === undefined ? "read: no answer" : `read: ${r.status} ${errorCode(r.body)}`,
            r?.status,
          );
          continue;
        }
        this.readLatency.push(r.ms);
        const page = r.body as { messages: { seq: number; messageB64: string }[]; next: number };
        const log = this.reads.get(key)!;
        for (const m of page.messages) log.push({ seq: m.seq, b64: m.messageB64 });
        got += page.messages.length;
        this.readCount += page.messages.length;
        this.cursors.set(key, page.next);
      }
      // Caught up after the posters stopped: nothing new in any group, and no failure.
      if (draining && got === 0 && failures === 0) return;
      if (got === 0) await sleep(5);
    }
  }

  /** Stops posting and waits for the posts in flight. */
  async stopPosting(): Promise<void> {
    this.posting = false;
    await Promise.all(this.posters);
    this.stoppedAt = performance.now();
  }

  /** Lets every reader catch up to the end of its groups, then stops them. */
  async drain(timeoutMs = 60_000): Promise<void> {
    if (this.posting) await this.stopPosting();
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.readers),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("readers did not catch up in time")), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  get seconds(): number {
    return ((this.stoppedAt || performance.now()) - this.startedAt) / 1000;
  }

  /** Every reader's log against the 201 answers. */
  verify(): Verification {
    const groups: GroupCheck[] = [];
    for (const g of this.fixture.groups) {
      const accepted = this.accepted.get(g.groupId)!;
      const unknown = this.unknown.get(g.groupId)!;
      const seqOf = new Map(accepted.map((a) => [a.b64, a.seq]));
      let lost = 0;
      let duplicated = accepted.length - new Set(accepted.map((a) => a.seq)).size;
      let phantom = 0;
      let misordered = 0;
      const readBy: number[] = [];
      for (const m of g.members) {
        const log = this.reads.get(`${m.index}|${g.groupId}`)!;
        const seen = new Map<string, number>();
        let last = g.baseline;
        for (const e of log) {
          seen.set(e.b64, (seen.get(e.b64) ?? 0) + 1);
          if (e.seq <= last) misordered++;
          last = e.seq;
          const seq = seqOf.get(e.b64);
          if (seq === undefined) {
            if (!unknown.has(e.b64)) phantom++;
          } else if (seq !== e.seq) misordered++;
        }
        for (const n of seen.values()) duplicated += n - 1;
        for (const a of accepted) if (!seen.has(a.b64)) lost++;
        readBy.push(log.length);
      }
      groups.push({
        groupId: g.groupId,
        accepted: accepted.length,
        readBy,
        lost,
        duplicated,
        phantom,
        misordered,
      });
    }
    const sum = (k: "lost" | "duplicated" | "phantom" | "misordered") =>
      groups.reduce((n, g) => n + g[k], 0);
    return {
      groups,
      lost: sum("lost"),
      duplicated: sum("duplicated"),
      phantom: sum("phantom"),
      misordered: sum("misordered"),
    };
  }

  /**
   * A fresh read of every group from seq 0 (as its creator): what the store holds now, against
   * the 201 answers and the posts of unknown outcome.
   */
  async verifyStore(): Promise<StoreCheck> {
    let accepted = 0;
    let lost = 0;
    let duplicated = 0;
    let unknownStored = 0;
    let unknownMissing = 0;
    let gapless = true;
    for (const g of this.fixture.groups) {
      const creator = g.members[0]!;
      const stored = new Map<string, number>();
      let after = 0;
      for (;;) {
        const r = await signedFetch(
          this.url,
          creator,
          "GET",
          `/v1/groups/${g.groupId}/messages?after=${after}&limit=500`,
        );
        if (r.status !== 200) throw new Error(`reading ${g.groupId} failed: ${r.status}`);
        const page = r.body as { messages: { seq: number; messageB64: string }[]; next: number };
        if (page.messages.length === 0) break;
        for (const m of page.messages) {
          if (m.seq !== after + 1) gapless = false;
          after = m.seq;
          stored.set(m.messageB64, (stored.get(m.messageB64) ?? 0) + 1);
        }
      }
      for (const a of this.accepted.get(g.groupId)!) {
        const n = stored.get(a.b64) ?? 0;
        if (n === 0) lost++;
        else accepted++;
        if (n > 1) duplicated += n - 1;
      }
      for (const u of this.unknown.get(g.groupId)!) {
        const n = stored.get(u) ?? 0;
        if (n === 0) unknownMissing++;
        else unknownStored++;
        if (n > 1) duplicated += n - 1;
      }
    }
    return { accepted, lost, duplicated, unknownStored, unknownMissing, gapless };
  }

  /** Throughput and latency lines. */
  report(): string[] {
    const s = this.seconds;
    const post = [...this.postLatency].sort((a, b) => a - b);
    const read = [...this.readLatency].sort((a, b) => a - b);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const lines = [
      `duration: ${s.toFixed(1)} s, ${this.requests} requests (${(this.requests / s).toFixed(0)} req/s)`,
      `posted: ${this.acceptedCount} accepted messages (${(this.acceptedCount / s).toFixed(0)} messages/s)`,
      `read: ${this.readCount} messages in ${read.length} reads (${(this.readCount / s).toFixed(0)} messages/s)`,
      `post latency: p50 ${ms(percentile(post, 50))}, p99 ${ms(percentile(post, 99))}, max ${ms(post.at(-1) ?? Number.NaN)}`,
      `read latency: p50 ${ms(percentile(read, 50))}, p99 ${ms(percentile(read, 99))}, max ${ms(read.at(-1) ?? Number.NaN)}`,
    ];
    const errors = [...this.errors].map(([k, n]) => `${k} ×${n}`);
    lines.push(`error responses: ${errors.length === 0 ? "none" : errors.join(", ")}`);
    if (this.outage.size > 0)
      lines.push(`during the outage: ${[...this.outage].map(([k, n]) => `${k} ×${n}`).join(", ")}`);
    return lines;
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}

function errorCode(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : "";
}
