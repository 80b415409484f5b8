import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { ApqMember, authorizationHeader, b64, generateServiceKey } from "@hpqmls/client";
import { type KeyPair, utf8 } from "@hpqmls/mls-core";
import { openPgliteStorage, openPostgresStorage, type SqlStorage } from "@hpqmls/server";
import { afterAll, describe, expect, it } from "vitest";
import { LoadRun, setupGroups } from "../loadtest/driver.js";
import { type SpawnedServer, spawnServer } from "../loadtest/server.js";
import { DATABASE_URL_TEST, listen, postgresSkipReason, tempDir } from "./helpers.js";
import { installPgInterop } from "./pgInterop.js";

/**
 * Faults under load: the server process killed with SIGKILL while clients post and read, then
 * restarted on the same data (a PGlite directory; a PostgreSQL schema); every message that got
 * a 201 must be there exactly once afterwards, read by clients that resume from their cursors.
 * Then the database going away under a running server (PostgreSQL behind a TCP proxy this test
 * cuts and black-holes; a storage that stops answering): 503 with Retry-After, and recovery.
 */

const pgSkip = postgresSkipReason();
const log = (line: string) => console.info(`[fault] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/**
 * Starts the server with `env`, loads it, kills it with SIGKILL after `killAfter` accepted
 * messages, restarts it on the same data and port, lets the clients go on until `more`
 * messages were accepted after the restart, and checks everything.
 */
async function killDuringLoad(label: string, env: Record<string, string>): Promise<void> {
  const killAfter = 120;
  const more = 80;
  const fullEnv = { HPQMLS_RATE_LIMIT: "100000000", ...env };
  let server: SpawnedServer = await spawnServer({ env: fullEnv });
  cleanups.push(() => server.kill("SIGKILL").then(() => {}));
  const fixture = await setupGroups(server.url, { clients: 4, groups: 2, membersPerGroup: 3 });
  const run = new LoadRun(fixture, server.url, { tolerateOutage: true });
  run.start();
  await until(`${killAfter} accepted messages`, () => run.acceptedCount >= killAfter, 30_000);

  const killedPid = server.pid;
  const acceptedAtKill = run.acceptedCount;
  const inFlight = run.inFlightPosts;
  const exit = await server.kill("SIGKILL");
  expect(exit.signal).toBe("SIGKILL");
  const cursorsAtKill = new Map(run.cursors);
  const readBeforeKill = run.readCount;
  await sleep(300); // the clients see the outage
  const failuresDuringOutage = [...run.outage.values()].reduce((a, b) => a + b, 0);

  server = await spawnServer({ env: fullEnv, port: server.port });
  const restartedPid = server.pid;
  await until(
    `${more} accepted messages after the restart`,
    () => run.acceptedCount >= acceptedAtKill + more,
    30_000,
  );
  await run.drain(30_000);

  const v = run.verify();
  const store = await run.verifyStore();
  const resumed = [...cursorsAtKill].filter(
    ([key, c]) => c > fixture.groups.find((g) => key.endsWith(`|${g.groupId}`))!.baseline,
  ).length;
  log(
    `${label}: killed pid ${killedPid} with SIGKILL after ${acceptedAtKill} accepted messages (${inFlight} posts in flight, ${readBeforeKill} messages read); ${failuresDuringOutage} requests failed while it was down`,
  );
  log(
    `${label}: restarted as pid ${restartedPid} on the same ${env.DATABASE_URL === undefined ? "data directory" : "database"} and port; ${resumed} of ${cursorsAtKill.size} readers resumed from a cursor past the start; ${run.acceptedCount - acceptedAtKill} more accepted`,
  );
  log(
    `${label}: checked ${run.acceptedCount} accepted: ${v.lost + store.lost} lost, ${v.duplicated + store.duplicated} duplicated (readers: ${v.lost} lost, ${v.duplicated} duplicated, ${v.phantom} unexpected, ${v.misordered} out of order; store from seq 0: ${store.accepted} found, seqs ${store.gapless ? "gapless" : "NOT gapless"}); posts without an answer: ${store.unknownStored} stored once, ${store.unknownMissing} not stored`,
  );
  await server.stop();
  expect(exit.signal).toBe("SIGKILL");
  expect(inFlight + acceptedAtKill).toBeGreaterThan(0);
  expect(failuresDuringOutage).toBeGreaterThan(0);
  expect(resumed).toBeGreaterThan(0);
  expect(run.errorCount).toBe(0); // no 4xx: the restarted server knows every client and nonce
  expect({
    lost: v.lost,
    duplicated: v.duplicated,
    phantom: v.phantom,
    misordered: v.misordered,
  }).toEqual({ lost: 0, duplicated: 0, phantom: 0, misordered: 0 });
  expect({ lost: store.lost, duplicated: store.duplicated, gapless: store.gapless }).toEqual({
    lost: 0,
    duplicated: 0,
    gapless: true,
  });
  expect(store.accepted).toBe(run.acceptedCount);
}

describe("kill -9 under load, restart on the same data", () => {
  it("PGlite data directory: every accepted message is there exactly once", async () => {
    const dir = await tempDir("hpqmls-fault-");
    cleanups.push(() => dir.remove());
    await killDuringLoad("PGlite", { HPQMLS_DATA_DIR: dir.path });
  }, 120_000);

  it.skipIf(pgSkip !== undefined)(
    "PostgreSQL: every accepted message is there exactly once",
    async () => {
      installPgInterop();
      const schema = `fault_${randomBytes(5).toString("hex")}`;
      const admin = await openPostgresStorage({ connectionString: DATABASE_URL_TEST!, schema });
      cleanups.push(async () => {
        await admin.driver.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      });
      const url = new URL(DATABASE_URL_TEST!);
      url.searchParams.set("options", `-c search_path=${schema}`);
      await killDuringLoad("PostgreSQL", { DATABASE_URL: url.toString() });
    },
    120_000,
  );
});

/** A TCP proxy to PostgreSQL: cut (refuse and reset) or black-hole (hold the bytes) at will. */
class TcpProxy {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private holding = false;
  private held: [Socket, Buffer][] = [];

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.targetPort, this.host);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on("data", (d: Buffer) => {
          if (this.holding) this.held.push([to, d]);
          else to.write(d);
        });
        from.on("error", () => {});
        from.on("close", () => {
          this.sockets.delete(from);
          to.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    const a = server.address();
    this.port = typeof a === "object" && a !== null ? a.port : this.port;
    this.server = server;
  }

  /** The database is gone: new connections refused, open ones reset. */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((r) => s?.close(r));
  }

  /** It is back, on the same address. */
  restore(): Promise<void> {
    return this.start();
  }

  /** A partition: bytes are held (TCP retransmits), nothing arrives. */
  blackhole(): void {
    this.holding = true;
  }

  /** The partition heals: held bytes are delivered in order. */
  heal(): void {
    this.holding = false;
    for (const [to, d] of this.held) if (!to.destroyed) to.write(d);
    this.held = [];
  }

  async close(): Promise<void> {
    await this.cut();
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  body: Record<string, unknown>;
  ms: number;
}

async function request(
  base: string,
  who: { clientId: string; key: KeyPair },
  method: string,
  path: string,
  json?: unknown,
): Promise<Answer> {
  const body = json === undefined ? new Uint8Array(0) : utf8(JSON.stringify(json));
  const authorization = await authorizationHeader(who.clientId, who.key, method, path, body);
  const t0 = Date.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization,
      ...(json === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(json === undefined ? {} : { body }),
  });
  const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    code: (parsed.error as { code?: string } | undefined)?.code,
    body: parsed,
    ms: Date.now() - t0,
  };
}

async function probe(
  base: string,
  path: string,
): Promise<{ status: number; retryAfter: string | null }> {
  const r = await fetch(`${base}${path}`);
  await r.arrayBuffer();
  return { status: r.status, retryAfter: r.headers.get("retry-after") };
}

describe("the database goes away under a running server", () => {
  it.skipIf(pgSkip !== undefined)(
    "PostgreSQL behind a cut, then black-holed, connection: 503 with Retry-After, then recovery",
    async () => {
      installPgInterop();
      const target = new URL(DATABASE_URL_TEST!);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      cleanups.push(() => proxy.close());
      const schema = `fault_${randomBytes(5).toString("hex")}`;
      const proxied = new URL(DATABASE_URL_TEST!);
      proxied.hostname = "127.0.0.1";
      proxied.port = String(proxy.port);
      const storage = await openPostgresStorage({
        connectionString: proxied.toString(),
        schema,
        maxConnections: 4,
      });
      const admin = await openPostgresStorage({ connectionString: DATABASE_URL_TEST!, schema });
      cleanups.push(async () => {
        await admin.driver.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      });
      cleanups.push(() => storage.close());
      const handlerTimeout = 1500;
      const app = await listen({ storage, handlerTimeout });
      cleanups.push(() => app.close());

      const key = await generateServiceKey();
      const alice = await ApqMember.register(app.url, `alice-${schema}`, {}, key);
      const who = { clientId: alice.service.clientId, key };
      const groupId = await alice.createGroup();
      const path = `/v1/groups/${groupId}/messages`;
      const accepted = new Map<string, number>();
      const refused = new Set<string>();
      const post = async (text: string): Promise<Answer> => {
        const messageB64 = b64(await alice.session(groupId).encrypt(utf8(text)));
        const r = await request(app.url, who, "POST", path, { messageB64 });
        if (r.status === 201) accepted.set(messageB64, r.body.seq as number);
        else refused.add(messageB64);
        return r;
      };
      const start = (await alice.service.readMessages(groupId, 0, 1000)).next;
      const streamed: number[] = [];
      const stop = new AbortController();
      const streaming = alice.service.stream(
        groupId,
        start,
        (m) => void streamed.push(m.seq),
        stop.signal,
      );
      cleanups.push(async () => stop.abort());
      for (let i = 0; i < 3; i++) expect((await post(`before ${i}`)).status).toBe(201);
      expect((await probe(app.url, "/readyz")).status).toBe(200);

      // 1. Cut: connections reset, new ones refused.
      await proxy.cut();
      const cutPost = await post("while cut");
      const cutRead = await request(app.url, who, "GET", `${path}?after=0`);
      const cutReady = await probe(app.url, "/readyz");
      const cutHealth = await probe(app.url, "/healthz");
      log(
        `PostgreSQL cut: POST → ${cutPost.status} ${cutPost.code} (Retry-After ${cutPost.retryAfter}, ${cutPost.ms} ms), GET → ${cutRead.status} ${cutRead.code}, /readyz → ${cutReady.status}, /healthz → ${cutHealth.status}`,
      );
      for (const r of [cutPost, cutRead]) {
        expect({ status: r.status, code: r.code, retryAfter: r.retryAfter }).toEqual({
          status: 503,
          code: "database_unavailable",
          retryAfter: "5",
        });
        expect(r.ms).toBeLessThan(6000);
      }
      expect(cutReady).toEqual({ status: 503, retryAfter: "5" });
      expect(cutHealth.status).toBe(200);

      await proxy.restore();
      const t0 = Date.now();
      let back: Answer | undefined;
      while (Date.now() - t0 < 15_000) {
        back = await post("after the cut");
        if (back.status === 201) break;
        expect(back.status).toBe(503);
        await sleep(200);
      }
      expect(back?.status).toBe(201);
      log(`PostgreSQL restored: POST → 201 again after ${Date.now() - t0} ms`);
      for (let i = 0; i < 3; i++) expect((await post(`restored ${i}`)).status).toBe(201);

      // 2. Black hole: nothing answers; the handler timeout answers 503 instead of hanging.
      proxy.blackhole();
      const holePost = await post("into the black hole");
      const holeReady = await probe(app.url, "/readyz");
      log(
        `PostgreSQL black-holed: POST → ${holePost.status} ${holePost.code} (Retry-After ${holePost.retryAfter}, ${holePost.ms} ms; handler timeout ${handlerTimeout} ms), /readyz → ${holeReady.status}`,
      );
      expect(holePost.status).toBe(503);
      expect(holePost.retryAfter).toBe("5");
      expect(holePost.ms).toBeLessThan(handlerTimeout + 2000);
      expect(holeReady.status).toBe(503);
      proxy.heal();
      const t1 = Date.now();
      for (;;) {
        back = await post("after the black hole");
        if (back.status === 201 || Date.now() - t1 > 15_000) break;
        await sleep(200);
      }
      expect(back.status).toBe(201);
      log(`PostgreSQL healed: POST → 201 again after ${Date.now() - t1} ms`);
      expect((await probe(app.url, "/readyz")).status).toBe(200);

      // Every 201 is stored once under its seq; a 503 at most once; the stream saw all.
      const stored = await admin.readMessages(groupId, start, 1000);
      const count = new Map<string, number>();
      for (const m of stored) count.set(b64(m.body), (count.get(b64(m.body)) ?? 0) + 1);
      for (const [m, seq] of accepted) {
        expect(count.get(m)).toBe(1);
        expect(stored.find((s) => b64(s.body) === m)?.seq).toBe(seq);
      }
      for (const m of refused) expect(count.get(m) ?? 0).toBeLessThanOrEqual(1);
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => start + i + 1));
      const last = stored.at(-1)!.seq;
      await until("the stream to catch up", () => streamed.at(-1) === last, 15_000);
      stop.abort();
      await streaming;
      expect(streamed).toEqual(stored.map((m) => m.seq));
      const refusedStored = [...refused].filter((m) => count.has(m)).length;
      log(
        `PostgreSQL checked ${accepted.size} accepted: 0 lost, 0 duplicated; ${refused.size} answered 503 (${refusedStored} stored once anyway, their transaction finished later); the stream delivered all ${streamed.length} in order`,
      );
    },
    60_000,
  );

  it("a database that stops answering: 503 within the handler timeout, then recovery", async () => {
    const dir = await tempDir("hpqmls-hang-");
    cleanups.push(() => dir.remove());
    const real: SqlStorage = await openPgliteStorage(dir.path);
    cleanups.push(() => real.close());
    /** The next call of this storage method never answers (until released). */
    let hang: string | undefined;
    const hung: (() => void)[] = [];
    const storage = new Proxy(real, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        if (prop !== "readMessages" && prop !== "useNonce") return v.bind(target);
        return async (...args: unknown[]) => {
          if (prop === hang) {
            hang = undefined;
            await new Promise<void>((r) => hung.push(r));
          }
          return v.apply(target, args);
        };
      },
    });
    const handlerTimeout = 800;
    const app = await listen({ storage, handlerTimeout });
    cleanups.push(() => app.close());
    const alice = await ApqMember.register(app.url, "alice");
    const groupId = await alice.createGroup();

    // The server's answers are what is checked here, not the client's retries of them.
    alice.service.retry.attempts = 1;
    hang = "readMessages"; // in a handler
    const t0 = Date.now();
    const stuck = alice.service.readMessages(groupId, 0).then(
      () => undefined,
      (e: { status?: number; code?: string }) => e,
    );
    // Meanwhile other requests are served.
    await alice.send(groupId, "still served");
    const err = await stuck;
    const ms = Date.now() - t0;
    log(
      `a hung database read: ${err?.status} ${err?.code} after ${ms} ms (handler timeout ${handlerTimeout} ms)`,
    );
    expect(err).toMatchObject({ status: 503, code: "timeout" });
    expect(ms).toBeGreaterThanOrEqual(handlerTimeout - 50);
    expect(ms).toBeLessThan(handlerTimeout + 3000);

    // A POST stuck while it is authenticated (a signed request records its nonce): it never
    // reaches its handler, so the message is not stored after the database comes back.
    hang = "useNonce";
    const bytes = await alice.session(groupId).encrypt(utf8("never stored"));
    const t1 = Date.now();
    const post = await alice.service.postMessage(groupId, bytes).then(
      () => undefined,
      (e: { status?: number; code?: string }) => e,
    );
    const ms1 = Date.now() - t1;
    log(
      `a hung database while authenticating a POST: ${post?.status} ${post?.code} after ${ms1} ms`,
    );
    expect(post).toMatchObject({ status: 503, code: "timeout" });
    expect(ms1).toBeLessThan(handlerTimeout + 3000);
    for (const r of hung) r(); // the late answers go nowhere, and crash nothing
    await sleep(100);
    const page = await alice.service.readMessages(groupId, 0);
    const texts = page.messages.filter((m) => m.kind === "application");
    expect(texts).toHaveLength(1);
    expect(texts.some((m) => b64(m.message) === b64(bytes))).toBe(false);
    expect((await probe(app.url, "/healthz")).status).toBe(200);
  });
});
