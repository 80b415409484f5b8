import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { ApqMember, authorizationHeader, b64, generateServiceKey } from "@hpqmls/client";
import { type KeyPair, utf8 } from "@hpqmls/mls-core";
import type { SqlStorage } from "@hpqmls/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Backend,
  httpRequest,
  listen,
  pgliteBackend,
  type Reply,
  stateOf,
  type TestServer,
} from "./helpers.js";

/**
 * Hostile clients against real loopback HTTP: replays, reordering, stale commits, oversize and
 * trickled bodies, idle and surplus connections, and stream hoarding. Each one gets its status,
 * changes nothing it should not, and the server keeps answering everyone else.
 */

const BODY_LIMIT = 256 * 1024;
const REQUEST_TIMEOUT = 1000;

let backend: Backend;
let storage: SqlStorage;
/** The main server: small body limit, 1 s request timeout. */
let server: TestServer;
/** A server with small stream caps (same storage). */
let capped: TestServer;
const keys = new Map<string, KeyPair>();
let alice: ApqMember;
let bob: ApqMember;
let carol: ApqMember;
let groupId = "";

function send(
  base: string,
  method: string,
  path: string,
  body: Uint8Array | undefined,
  authorization: string | undefined,
): Promise<Reply> {
  return httpRequest(`${base}${path}`, method, {
    ...(body === undefined ? {} : { body }),
    ...(authorization === undefined ? {} : { headers: { authorization } }),
  });
}

/** A request signed by `who`; returns the Authorization header too, for replays. */
async function signed(
  who: ApqMember,
  method: string,
  path: string,
  json?: unknown,
  base = server.url,
): Promise<Reply & { authorization: string; body: Uint8Array | undefined }> {
  const body = json === undefined ? undefined : utf8(JSON.stringify(json));
  const authorization = await authorizationHeader(
    who.service.clientId,
    keys.get(who.name)!,
    method,
    path,
    body ?? new Uint8Array(0),
  );
  return { ...(await send(base, method, path, body, authorization)), authorization, body };
}

function expectError(r: Reply, status: number, code: string): void {
  expect({ status: r.status, code: r.json.error?.code }).toEqual({ status, code });
  expect(typeof r.json.error?.message).toBe("string");
}

/** Runs `fn` (which must be refused) and checks that nothing stored changed. */
async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = await stateOf(storage);
  const r = await fn();
  expect(await stateOf(storage)).toEqual(before);
  return r;
}

const messages = () => `/v1/groups/${groupId}/messages`;

async function healthy(base = server.url): Promise<void> {
  const r = await fetch(`${base}/healthz`);
  await r.arrayBuffer();
  expect(r.status).toBe(200);
}

/** A raw TCP connection: what it received, and whether (and when) the server closed it. */
function rawSocket(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  const opened = Date.now();
  let received = "";
  let closedAt: number | undefined;
  socket.on("data", (c: Buffer) => {
    received += c.toString("latin1");
  });
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) =>
    socket.on("close", () => {
      closedAt = Date.now();
      resolve(closedAt - opened);
    }),
  );
  return {
    socket,
    opened,
    connected: once(socket, "connect"),
    closed,
    received: () => received,
    isClosed: () => closedAt !== undefined,
    write: (s: string) => new Promise<void>((r) => socket.write(s, () => r())),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Processes a member's messages, past the ones it cannot process (copies of messages it has
 * already processed directly in a test).
 */
async function catchUp(m: ApqMember): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      await m.sync(groupId);
      return;
    } catch {}
  }
  throw new Error(`${m.name} cannot catch up`);
}

/** Resolves with `p`, or with "timeout" after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  return Promise.race([p, sleep(ms).then(() => "timeout" as const)]);
}

async function register(name: string): Promise<ApqMember> {
  const key = await generateServiceKey();
  keys.set(name, key);
  return ApqMember.register(server.url, name, {}, key);
}

beforeAll(async () => {
  backend = await pgliteBackend();
  storage = await backend.open();
  server = await listen({ storage, bodyLimit: BODY_LIMIT, requestTimeout: REQUEST_TIMEOUT });
  capped = await listen({ storage, maxStreams: 4, maxStreamsPerClient: 2 });
  alice = await register("alice");
  bob = await register("bob");
  carol = await register("carol");
  await bob.publishKeyPackages(1);
  await carol.publishKeyPackages(1);
  groupId = await alice.createGroup();
  await alice.add(groupId, "bob");
  await alice.add(groupId, "carol");
  expect(await bob.acceptWelcomes()).toEqual([groupId]);
  expect(await carol.acceptWelcomes()).toEqual([groupId]);
  for (const m of [alice, bob, carol]) await m.sync(groupId);
});
afterAll(async () => {
  await capped?.close();
  await server?.close();
  await storage?.close();
  await backend?.dispose();
});

describe("replays", () => {
  it("refuses a replayed signed request (same nonce), on any path and any instance", async () => {
    const bytes = await alice.session(groupId).encrypt(utf8("once"));
    const first = await signed(alice, "POST", messages(), { messageB64: b64(bytes) });
    expect(first.status).toBe(201);
    await unchanged(async () => {
      // The exact bytes again, to this instance and to another one over the same database.
      for (const base of [server.url, capped.url]) {
        const again = await send(base, "POST", messages(), first.body, first.authorization);
        expectError(again, 401, "replayed_request");
        expect(again.headers.get("www-authenticate")).toBe("HPQMLS-Ed25519");
      }
      // The captured header on another path or with another body does not verify.
      expectError(
        await send(server.url, "GET", "/v1/clients/me", undefined, first.authorization),
        401,
        "bad_signature",
      );
      const other = utf8(JSON.stringify({ messageB64: b64(bytes.slice(1)) }));
      expectError(
        await send(server.url, "POST", messages(), other, first.authorization),
        401,
        "bad_signature",
      );
    });
    const got = await bob.sync(groupId);
    expect(got.map((m) => m.text)).toEqual(["once"]);
    await carol.sync(groupId);
  });

  it("a replayed commit: its sender gets the stored copy's answer, anyone else 409; nothing stored", async () => {
    const before = (await storage.getGroup(groupId))!;
    await alice.update(groupId, "partial");
    const commit = (await storage.readMessages(groupId, before.lastSeq, 10)).find(
      (m) => m.kind === "partial-commit",
    )!;
    expect(commit).toBeDefined();
    const now = (await storage.getGroup(groupId))!;
    expect(now.tEpoch).toBe(before.tEpoch + 1);
    await unchanged(async () => {
      // Re-signed by its sender (a retry after a lost answer): idempotent, the same seq.
      const again = await signed(alice, "POST", messages(), { messageB64: b64(commit.body) });
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ seq: commit.seq, kind: "partial-commit" });
      // By another member: a replay.
      const r = await signed(bob, "POST", messages(), { messageB64: b64(commit.body) });
      expectError(r, 409, "duplicate_message");
      expect(r.json.error).toMatchObject({ seq: commit.seq });
    });
    for (const m of [bob, carol]) await m.sync(groupId);
  });

  it("a commit for an epoch that is over gets 409 with the current epochs", async () => {
    // Bob builds a commit for the current epoch, Alice's commit wins it first.
    const stale = await bob.session(groupId).partialCommit();
    await alice.update(groupId, "partial");
    const now = (await storage.getGroup(groupId))!;
    await unchanged(async () => {
      const r = await signed(bob, "POST", messages(), { messageB64: b64(stale.message) });
      expectError(r, 409, "epoch_conflict");
      expect(r.json.error).toMatchObject({
        currentTEpoch: now.tEpoch,
        currentPqEpoch: now.pqEpoch,
      });
    });
    stale.discard();
    for (const m of [bob, carol]) await m.sync(groupId);
  });

  it("a re-posted application message is stored once: 200 for its sender, 409 for a replayer", async () => {
    const bytes = await alice.session(groupId).encrypt(utf8("just once"));
    const first = await signed(alice, "POST", messages(), { messageB64: b64(bytes) });
    expect(first.status).toBe(201);
    const retry = await signed(alice, "POST", messages(), { messageB64: b64(bytes) });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ seq: first.json.seq });
    const copy = await signed(bob, "POST", messages(), { messageB64: b64(bytes) });
    expectError(copy, 409, "duplicate_message");
    const read = await bob.service.readMessages(groupId, 0, 1000);
    expect(read.messages.filter((m) => b64(m.message) === b64(bytes))).toHaveLength(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /hpqmls_duplicate_messages_total\{kind="application",outcome="retry"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /hpqmls_duplicate_messages_total\{kind="application",outcome="replay"\} [1-9]/,
    );
    for (const m of [bob, carol]) await m.sync(groupId);
  });
});

describe("ordering", () => {
  it("refuses a message for a future epoch (409), then accepts it once its commit is in", async () => {
    for (const m of [alice, bob, carol]) await catchUp(m);
    const g = (await storage.getGroup(groupId))!;
    const pending = await alice.session(groupId).partialCommit();
    await pending.merge(); // alice moves on before the service accepted her commit
    const future = await alice.session(groupId).encrypt(utf8("from the future"));
    await unchanged(async () => {
      const r = await signed(alice, "POST", messages(), { messageB64: b64(future) });
      expectError(r, 409, "epoch_conflict");
      expect(r.json.error).toMatchObject({ currentTEpoch: g.tEpoch, currentPqEpoch: g.pqEpoch });
    });
    const commit = await signed(alice, "POST", messages(), { messageB64: b64(pending.message) });
    expect(commit.status).toBe(201);
    expect(commit.json).toMatchObject({ kind: "partial-commit", tEpoch: g.tEpoch });
    const now = await signed(alice, "POST", messages(), { messageB64: b64(future) });
    expect(now.status).toBe(201);
    expect(now.json).toMatchObject({ kind: "application", tEpoch: g.tEpoch + 1 });
    expect(now.json.seq).toBe((commit.json.seq as number) + 1);
    const got = await bob.sync(groupId);
    expect(got.map((m) => m.text)).toEqual(["from the future"]);
    await carol.sync(groupId);
  });

  it("answers a commit for a stale epoch with 409 and the winning epoch", async () => {
    for (const m of [alice, bob, carol]) await catchUp(m);
    const g = (await storage.getGroup(groupId))!;
    const a = await alice.session(groupId).partialCommit();
    const b = await bob.session(groupId).partialCommit();
    const won = await signed(alice, "POST", messages(), { messageB64: b64(a.message) });
    expect(won.status).toBe(201);
    await a.merge();
    await unchanged(async () => {
      const lost = await signed(bob, "POST", messages(), { messageB64: b64(b.message) });
      expectError(lost, 409, "epoch_conflict");
      expect(lost.json.error).toMatchObject({
        currentTEpoch: g.tEpoch + 1,
        currentPqEpoch: g.pqEpoch,
      });
    });
    b.discard();
    await bob.sync(groupId);
    expect(bob.session(groupId).tEpoch).toBe(alice.session(groupId).tEpoch);
    await carol.sync(groupId);
    expect(carol.session(groupId).tEpoch).toBe(alice.session(groupId).tEpoch);
  });
});

describe("oversize and slow requests", () => {
  it("refuses bodies over the limit with 413, declared or chunked, without reading them", async () => {
    await unchanged(async () => {
      const big = await signed(alice, "POST", messages(), {
        messageB64: "A".repeat(BODY_LIMIT + 1),
      });
      expectError(big, 413, "payload_too_large");
      // Chunked (no Content-Length): counted while it arrives.
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(utf8('{"messageB64":"'));
          for (let i = 0; i < 40; i++) c.enqueue(new Uint8Array(8 * 1024).fill(65));
          c.enqueue(utf8('"}'));
          c.close();
        },
      });
      const res = await fetch(`${server.url}${messages()}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunks,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as Reply["json"]).error?.code).toBe("payload_too_large");
    });
    // A declared 1 GB body: refused from the headers alone, at once.
    const s = rawSocket(server.port);
    await s.connected;
    await s.write(
      `POST ${messages()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{`,
    );
    const t0 = Date.now();
    while (!s.received().includes("\r\n\r\n") && Date.now() - t0 < 3000) await sleep(10);
    expect(s.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(Date.now() - t0).toBeLessThan(3000);
    s.socket.destroy();
    await healthy();
  });

  it("times out a client that trickles its body (408, connection closed)", async () => {
    const s = rawSocket(server.port);
    await s.connected;
    await s.write(
      `POST /v1/clients HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n`,
    );
    // One byte every 100 ms: never idle, never done.
    const trickle = setInterval(() => {
      if (!s.isClosed()) s.socket.write("{");
    }, 100);
    const closedAfter = await within(s.closed, REQUEST_TIMEOUT + 4000);
    clearInterval(trickle);
    expect(closedAfter).not.toBe("timeout");
    expect(closedAfter as number).toBeGreaterThanOrEqual(REQUEST_TIMEOUT - 50);
    expect(s.received()).toMatch(/^HTTP\/1\.1 408 /);
    await healthy();
  });

  it("times out trickled headers and connections that send nothing", async () => {
    const slowHeaders = rawSocket(server.port);
    const silent = rawSocket(server.port);
    await Promise.all([slowHeaders.connected, silent.connected]);
    const trickle = setInterval(() => {
      if (!slowHeaders.isClosed()) slowHeaders.socket.write("X");
    }, 100);
    await slowHeaders.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const [a, b] = await Promise.all([
      within(slowHeaders.closed, REQUEST_TIMEOUT + 4000),
      within(silent.closed, REQUEST_TIMEOUT + 4000),
    ]);
    clearInterval(trickle);
    expect(a).not.toBe("timeout");
    expect(b).not.toBe("timeout");
    expect(slowHeaders.received()).not.toMatch(/ 200 /);
    await healthy();
  });

  it("answers garbage without crashing: bad HTTP 400, huge headers 431, hostile JSON 400", async () => {
    const s = rawSocket(server.port);
    await s.connected;
    await s.write("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n");
    expect(await within(s.closed, 3000)).not.toBe("timeout");
    expect(s.received()).toMatch(/^HTTP\/1\.1 400 /);

    const h = rawSocket(server.port);
    await h.connected;
    await h.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(await within(h.closed, 3000)).not.toBe("timeout");
    expect(h.received()).toMatch(/^HTTP\/1\.1 431 /);

    await unchanged(async () => {
      const noBody = await signed(alice, "POST", messages(), undefined);
      expect(noBody.status).toBe(400);
      for (const body of [
        '{"__proto__": {"admin": true}, "messageB64": "AAAA"}',
        `{"messageB64": ${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
        '{"messageB64": "AAAA", "welcomeB64": 12}',
        "[]",
        "null",
      ]) {
        const bytes = utf8(body);
        const authorization = await authorizationHeader(
          alice.service.clientId,
          keys.get("alice")!,
          "POST",
          messages(),
          bytes,
        );
        const r = await send(server.url, "POST", messages(), bytes, authorization);
        expect(r.status).toBe(400);
        expect(typeof r.json.error?.code).toBe("string");
      }
      for (const q of ["after=-1", "after=abc", "limit=1000000000", "after=1e400"]) {
        const r = await signed(alice, "GET", `${messages()}?${q}`);
        expectError(r, 400, "invalid_request");
      }
    });
    await healthy();
  });
});

describe("connection and stream caps", () => {
  it("closes connections above the cap at once and serves again when they go", async () => {
    // Its own server: no pooled fetch connection may take a slot. Idle sockets must not be
    // closed by the request timeout meanwhile.
    const few = await listen({ storage, maxConnections: 6, requestTimeout: 20_000 });
    // The cap is 6: six idle connections fill it.
    const held = Array.from({ length: 6 }, () => rawSocket(few.port));
    await Promise.all(held.map((s) => s.connected));
    // One request each: the server has accepted all six (they stay open: keep-alive).
    for (const s of held) {
      await s.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      const t0 = Date.now();
      while (!s.received().includes("\r\n\r\n") && Date.now() - t0 < 2000) await sleep(10);
      expect(s.received()).toMatch(/^HTTP\/1\.1 200 /);
    }
    const extra = Array.from({ length: 5 }, () => rawSocket(few.port));
    const closed = await Promise.all(extra.map((s) => within(s.closed, 2000)));
    for (const c of closed) expect(c).not.toBe("timeout");
    for (const s of extra) expect(s.received()).toBe("");
    for (const s of held) expect(s.isClosed()).toBe(false);
    // The held ones still work.
    const before = held[0]!.received().length;
    await held[0]!.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const t0 = Date.now();
    while (held[0]!.received().length === before && Date.now() - t0 < 2000) await sleep(10);
    await sleep(20);
    expect(held[0]!.received().slice(before)).toMatch(/^HTTP\/1\.1 200 /);
    for (const s of held) s.socket.destroy();
    await Promise.all(held.map((s) => s.closed));
    await sleep(50);
    await healthy(few.url);
    await few.close();
  });

  /** Opens a stream of the group as `who` on the capped server. */
  async function openStream(who: ApqMember, signal?: AbortSignal, base = capped.url) {
    const path = `/v1/groups/${groupId}/stream?after=0`;
    const authorization = await authorizationHeader(
      who.service.clientId,
      keys.get(who.name)!,
      "GET",
      path,
      new Uint8Array(0),
    );
    const controller = new AbortController();
    const res = await fetch(`${base}${path}`, {
      headers: { authorization, accept: "text/event-stream" },
      signal: signal ?? controller.signal,
    });
    return { res, close: () => controller.abort() };
  }

  it("caps event streams per client (429) and in all (503), with Retry-After", async () => {
    const a1 = await openStream(alice);
    const a2 = await openStream(alice);
    for (const s of [a1, a2]) {
      expect(s.res.status).toBe(200);
      expect(s.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    }
    const a3 = await openStream(alice);
    expect(a3.res.status).toBe(429);
    expect(a3.res.headers.get("retry-after")).toBe("5");
    expect(((await a3.res.json()) as Reply["json"]).error).toMatchObject({
      code: "too_many_streams",
      limit: 2,
    });
    const b1 = await openStream(bob);
    const b2 = await openStream(bob);
    expect([b1.res.status, b2.res.status]).toEqual([200, 200]);
    // Four open: the service is full for carol too, though she has none.
    const c1 = await openStream(carol);
    expect(c1.res.status).toBe(503);
    expect(c1.res.headers.get("retry-after")).toBe("5");
    expect(((await c1.res.json()) as Reply["json"]).error?.code).toBe("too_many_streams");
    // The streams deliver while capped.
    const reader = a1.res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain(": stream open");

    // Alice closes one: she may open another once the server saw it go.
    reader.cancel().catch(() => {});
    a1.close();
    let again = await openStream(alice);
    for (let i = 0; again.res.status !== 200 && i < 40; i++) {
      await again.res.arrayBuffer().catch(() => {});
      await sleep(50);
      again = await openStream(alice);
    }
    expect(again.res.status).toBe(200);
    for (const s of [a2, b1, b2, again]) s.close();
  });

  it("frees the slot of a stream whose client left before it opened", async () => {
    // A slow database: the client is gone by the time the stream would open.
    let delay = 0;
    const slow = new Proxy(storage, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        if (prop !== "getGroup") return v.bind(target);
        return async (...args: unknown[]) => {
          if (delay > 0) await sleep(delay);
          return v.apply(target, args);
        };
      },
    });
    const hub = await listen({ storage: slow, maxStreams: 4, maxStreamsPerClient: 2 });
    delay = 300;
    // Many more than the cap, each aborted while the server looks the group up.
    const aborted = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const c = new AbortController();
        setTimeout(() => c.abort(), 100);
        return openStream(bob, c.signal, hub.url).then(
          () => "opened",
          () => "aborted",
        );
      }),
    );
    expect(aborted).toEqual(Array(6).fill("aborted"));
    await sleep(delay + 200); // the handlers finish on the closed connections
    delay = 0;
    const open = [
      await openStream(bob, undefined, hub.url),
      await openStream(bob, undefined, hub.url),
    ];
    expect(open.map((s) => s.res.status)).toEqual([200, 200]);
    const third = await openStream(bob, undefined, hub.url);
    expect(third.res.status).toBe(429);
    await third.res.arrayBuffer();
    for (const s of open) s.close();
    await healthy(hub.url);
    hub.app.server.closeAllConnections(); // no wait for the pooled keep-alive connections
    await hub.close();
  });
});
