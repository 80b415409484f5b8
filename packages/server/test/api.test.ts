import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import {
  ApqMember,
  authorizationHeader,
  b64,
  generateServiceKey,
  registrationProof,
} from "@hpqmls/client";
import {
  basicCredential,
  encodeBytes,
  generateKeyPackage,
  getCipherSuite,
  type KeyPair,
  LEGACY_LAST_RESORT_EXTENSION,
  mlsMessageCodec,
  ProtocolVersion,
  utf8,
  WireFormat,
} from "@hpqmls/mls-core";
import {
  ApqSession,
  apqCapabilities,
  apqLeafExtensions,
  encodeMessagePair,
} from "@hpqmls/pq-combiner";
import { createLogger, type SqlStorage } from "@hpqmls/server";
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
 * The HTTP contract over real loopback HTTP: authentication, authorization, validation (every
 * client mistake is a 4xx with { error: { code, message } }, and changes nothing), the policy
 * API, operations endpoints and logging.
 */

const BODY_LIMIT = 64 * 1024;

let backend: Backend;
let storage: SqlStorage;
let server: TestServer;
const logs = new PassThrough();
let logText = "";
let aliceKey: KeyPair;
let alice: ApqMember;
let bob: ApqMember;
let eve: ApqMember;
let eveKey: KeyPair;
let groupId = "";
const sentBodies: string[] = [];
const sentAuthorizations: string[] = [];

function raw(
  method: string,
  path: string,
  o: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const body = typeof o.body === "string" ? utf8(o.body) : o.body;
  return httpRequest(`${server.url}${path}`, method, {
    ...(body === undefined ? {} : { body }),
    ...(o.headers === undefined ? {} : { headers: o.headers }),
  });
}

/** A request signed by `clientId` with `key` (over `signedBody` if given, else the body). */
async function signed(
  who: { clientId: string; key: KeyPair },
  method: string,
  path: string,
  o: { json?: unknown; body?: string | Uint8Array; now?: number; signedBody?: Uint8Array } = {},
): Promise<Reply & { authorization: string }> {
  const body = o.json !== undefined ? JSON.stringify(o.json) : o.body;
  const bytes = typeof body === "string" ? utf8(body) : (body ?? new Uint8Array(0));
  if (typeof body === "string") sentBodies.push(body);
  const authorization = await authorizationHeader(
    who.clientId,
    who.key,
    method,
    path,
    o.signedBody ?? bytes,
    o.now,
  );
  sentAuthorizations.push(authorization);
  const r = await raw(method, path, {
    ...(body === undefined ? {} : { body }),
    headers: { authorization },
  });
  return { ...r, authorization };
}

const asAlice = () => ({ clientId: alice.service.clientId, key: aliceKey });
const asEve = () => ({ clientId: eve.service.clientId, key: eveKey });

/** Runs `fn` (which must be refused) and checks that the stored state did not change. */
async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = await stateOf(storage);
  const r = await fn();
  expect(await stateOf(storage)).toEqual(before);
  return r;
}

function expectError(r: Reply, status: number, code: string): void {
  expect({ status: r.status, code: r.json.error?.code }).toEqual({ status, code });
  expect(typeof r.json.error?.message).toBe("string");
}

beforeAll(async () => {
  backend = await pgliteBackend();
  storage = await backend.open();
  logs.on("data", (c: Buffer) => {
    logText += c.toString("utf8");
  });
  server = await listen({
    storage,
    bodyLimit: BODY_LIMIT,
    logger: createLogger("info", logs),
  });
  aliceKey = await generateServiceKey();
  eveKey = await generateServiceKey();
  alice = await ApqMember.register(server.url, "alice", {}, aliceKey);
  bob = await ApqMember.register(server.url, "bob");
  eve = await ApqMember.register(server.url, "eve", {}, eveKey);
  await bob.publishKeyPackages(3);
  groupId = await alice.createGroup();
  await alice.add(groupId, "bob");
  await bob.acceptWelcomes();
  await bob.send(groupId, "hello");
  await alice.sync(groupId);
});
afterAll(async () => {
  await server?.close();
  await storage?.close();
  await backend?.dispose();
});

describe("authentication", () => {
  it("refuses unauthenticated and malformed requests (401)", async () => {
    await unchanged(async () => {
      const r = await raw("GET", "/v1/clients/me");
      expectError(r, 401, "unauthenticated");
      expect(r.headers.get("www-authenticate")).toBe("HPQMLS-Ed25519");
      expectError(
        await raw("GET", "/v1/groups", { headers: { authorization: "Bearer abc" } }),
        401,
        "malformed_authorization",
      );
      expectError(
        await raw("POST", `/v1/groups/${groupId}/messages`, {
          body: JSON.stringify({ messageB64: "AAAA" }),
        }),
        401,
        "unauthenticated",
      );
    });
  });

  it("refuses stale timestamps, bad signatures and unknown clients", async () => {
    await unchanged(async () => {
      expectError(
        await signed(asAlice(), "GET", "/v1/clients/me", { now: Date.now() - 301_000 }),
        401,
        "stale_timestamp",
      );
      expectError(
        await signed(asAlice(), "GET", "/v1/clients/me", { now: Date.now() + 400_000 }),
        401,
        "stale_timestamp",
      );
      // Signed over another body than the one sent.
      expectError(
        await signed(asAlice(), "PUT", `/v1/groups/${groupId}/policy`, {
          json: {},
          signedBody: utf8('{"inactivitySeconds":1}'),
        }),
        401,
        "bad_signature",
      );
      expectError(
        await signed(
          { clientId: "AAAAAAAAAAAAAAAAAAAAAA", key: aliceKey },
          "GET",
          "/v1/clients/me",
        ),
        401,
        "unknown_client",
      );
    });
  });

  it("refuses a replayed signed request", async () => {
    const bytes = await alice.session(groupId).encrypt(utf8("only once"));
    const path = `/v1/groups/${groupId}/messages`;
    const first = await signed(asAlice(), "POST", path, { json: { messageB64: b64(bytes) } });
    expect(first.status).toBe(201);
    await unchanged(async () => {
      const again = await raw("POST", path, {
        body: JSON.stringify({ messageB64: b64(bytes) }),
        headers: { authorization: first.authorization },
      });
      expectError(again, 401, "replayed_request");
    });
    const got = await bob.sync(groupId);
    expect(got.map((m) => m.text)).toEqual(["only once"]);
  });

  it("never lets one client act as another (401), nor a non-member read or post (403)", async () => {
    await unchanged(async () => {
      // Eve signs with her key but claims to be Alice.
      expectError(
        await signed(
          { clientId: alice.service.clientId, key: eveKey },
          "GET",
          `/v1/groups/${groupId}/messages?after=0&limit=10`,
        ),
        401,
        "bad_signature",
      );
      expectError(
        await signed(asEve(), "GET", `/v1/groups/${groupId}/messages?after=0&limit=10`),
        403,
        "forbidden",
      );
      expectError(await signed(asEve(), "GET", `/v1/groups/${groupId}`), 403, "forbidden");
      expectError(
        await signed(asEve(), "GET", `/v1/groups/${groupId}/stream?after=0`),
        403,
        "forbidden",
      );
      expectError(await signed(asEve(), "GET", `/v1/groups/${groupId}/schedule`), 403, "forbidden");
      expectError(
        await signed(asEve(), "PUT", `/v1/groups/${groupId}/policy`, { json: {} }),
        403,
        "forbidden",
      );
      // A valid member message re-posted by a non-member.
      const bytes = await alice.session(groupId).encrypt(utf8("not for eve to post"));
      expectError(
        await signed(asEve(), "POST", `/v1/groups/${groupId}/messages`, {
          json: { messageB64: b64(bytes) },
        }),
        403,
        "forbidden",
      );
      const gi = await alice.session(groupId).groupInfoPair();
      expectError(
        await signed(asEve(), "PUT", `/v1/groups/${groupId}/groupinfo`, {
          json: { groupInfoPairB64: b64(gi) },
        }),
        403,
        "forbidden",
      );
    });
    // Any registered client may read the GroupInfo pair (external joins) and the policy.
    expect((await signed(asEve(), "GET", `/v1/groups/${groupId}/groupinfo`)).status).toBe(200);
    expect((await signed(asEve(), "GET", `/v1/groups/${groupId}/policy`)).status).toBe(200);
    expect(await eve.service.listGroups()).toEqual([]);
  });
});

describe("registration and key packages", () => {
  it("registers with proof of possession; same key → same id; identities are unique", async () => {
    const key = await generateServiceKey();
    const body = {
      identityB64: b64(utf8("frank")),
      signatureKeyB64: b64(key.publicKey),
      proofB64: b64(await registrationProof(key, utf8("frank"))),
    };
    const first = await raw("POST", "/v1/clients", { body: JSON.stringify(body) });
    expect(first.status).toBe(201);
    const again = await raw("POST", "/v1/clients", { body: JSON.stringify(body) });
    expect(again).toMatchObject({ status: 200, json: { clientId: first.json.clientId } });
    await unchanged(async () => {
      const other = await generateServiceKey();
      expectError(
        await raw("POST", "/v1/clients", {
          body: JSON.stringify({
            identityB64: b64(utf8("frank")),
            signatureKeyB64: b64(other.publicKey),
            proofB64: b64(await registrationProof(other, utf8("frank"))),
          }),
        }),
        409,
        "identity_taken",
      );
      expectError(
        await raw("POST", "/v1/clients", {
          body: JSON.stringify({ ...body, identityB64: b64(utf8("mallory")) }),
        }),
        400,
        "bad_proof",
      );
      expectError(
        await raw("POST", "/v1/clients", { body: JSON.stringify({ identityB64: "x" }) }),
        400,
        "invalid_request",
      );
    });
  });

  it("checks KeyPackage pairs, counts them, and serves the last-resort pair", async () => {
    const gus = await ApqMember.register(server.url, "gus");
    const client = await ApqSession.newClient(basicCredential(utf8("gus")));
    await unchanged(async () => {
      // Eve cannot publish pairs carrying another identity.
      const pair = (await ApqSession.keyPackagePair(client)).message;
      await expect(eve.service.publishKeyPackages([pair])).rejects.toMatchObject({
        status: 400,
        code: "identity_mismatch",
      });
      await expect(eve.service.publishKeyPackages([randomBytes(40)])).rejects.toMatchObject({
        status: 400,
        code: "malformed_message",
      });
      await expect(gus.service.claimKeyPackage(utf8("gus"))).rejects.toMatchObject({
        status: 404,
        code: "no_key_package",
      });
    });
    const lastResort = async () => {
      const kp = async (suiteId: number, keys: KeyPair) => {
        const caps = apqCapabilities(suiteId);
        return (
          await generateKeyPackage({
            suite: getCipherSuite(suiteId),
            credential: client.credential,
            signatureKeyPair: keys,
            capabilities: {
              ...caps,
              extensions: [...caps.extensions, LEGACY_LAST_RESORT_EXTENSION],
            },
            leafExtensions: apqLeafExtensions(),
            extensions: [
              { extensionType: LEGACY_LAST_RESORT_EXTENSION, extensionData: new Uint8Array(0) },
            ],
          })
        ).keyPackage;
      };
      const m = (keyPackage: Awaited<ReturnType<typeof kp>>) => ({
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_key_package,
        keyPackage,
      });
      return encodeMessagePair({
        wireFormat: WireFormat.mls_key_package,
        t: m(await kp(1, client.tSignatureKeyPair)),
        pq: m(await kp(0xf00a, client.pqSignatureKeyPair)),
      });
    };
    const normal = (await ApqSession.keyPackagePair(client)).message;
    expect(await gus.service.publishKeyPackages([normal, await lastResort()])).toBe(2);
    expect(await gus.service.keyPackageCount()).toEqual({ remaining: 1, lastResort: true });
    expect(await eve.service.claimKeyPackage(utf8("gus"))).toEqual({
      pair: normal,
      lastResort: false,
    });
    const lr1 = await eve.service.claimKeyPackage(utf8("gus"));
    const lr2 = await eve.service.claimKeyPackage(utf8("gus"));
    expect(lr1.lastResort && lr2.lastResort).toBe(true);
    expect(lr2.pair).toEqual(lr1.pair);
    expect(await gus.service.keyPackageCount()).toEqual({ remaining: 0, lastResort: true });
  });
});

describe("messages", () => {
  const path = () => `/v1/groups/${groupId}/messages`;

  it("refuses malformed JSON (400) and oversize bodies (413)", async () => {
    await unchanged(async () => {
      expectError(
        await signed(asAlice(), "POST", path(), { body: '{"messageB64": ' }),
        400,
        "malformed_json",
      );
      expectError(await signed(asAlice(), "POST", path(), { body: "" }), 400, "malformed_json");
      expectError(
        await signed(asAlice(), "POST", path(), {
          json: { messageB64: "A".repeat(BODY_LIMIT + 10) },
        }),
        413,
        "payload_too_large",
      );
      const r = await raw("POST", path(), {
        body: "x=1",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expectError(r, 415, "unsupported_media_type");
    });
  });

  it("refuses garbage base64, unparsable MLS and misplaced messages (400)", async () => {
    const s = alice.session(groupId);
    const kpPair = (
      await ApqSession.keyPackagePair(await ApqSession.newClient(basicCredential(utf8("x"))))
    ).message;
    const other = await alice.createGroup();
    const otherMessage = await alice.session(other).encrypt(utf8("elsewhere"));
    await unchanged(async () => {
      expectError(
        await signed(asAlice(), "POST", path(), { json: { messageB64: "!!not base64!!" } }),
        400,
        "invalid_request",
      );
      expectError(
        await signed(asAlice(), "POST", path(), { json: { messageB64: "QQ=" } }),
        400,
        "invalid_request",
      );
      expectError(await signed(asAlice(), "POST", path(), { json: {} }), 400, "invalid_request");
      expectError(
        await signed(asAlice(), "POST", path(), { json: { messageB64: 42 } }),
        400,
        "invalid_request",
      );
      expectError(
        await signed(asAlice(), "POST", path(), { json: [1, 2] }),
        400,
        "invalid_request",
      );
      expectError(
        await signed(asAlice(), "POST", path(), { json: { messageB64: b64(randomBytes(64)) } }),
        400,
        "malformed_message",
      );
      const app = await s.encrypt(utf8("truncated"));
      expectError(
        await signed(asAlice(), "POST", path(), {
          json: { messageB64: b64(app.subarray(0, app.length - 3)) },
        }),
        400,
        "malformed_message",
      );
      expectError(
        await signed(asAlice(), "POST", path(), { json: { messageB64: b64(kpPair) } }),
        400,
        "wrong_message_type",
      );
      expectError(
        await signed(asAlice(), "POST", path(), {
          json: { messageB64: b64(await s.encrypt(utf8("x"))), welcomeB64: b64(kpPair) },
        }),
        400,
        "unexpected_welcome",
      );
      expectError(
        await signed(asAlice(), "POST", path(), { json: { messageB64: b64(otherMessage) } }),
        400,
        "wrong_group",
      );
    });
  });

  it("answers 404 for unknown groups", async () => {
    await unchanged(async () => {
      const g = b64(randomBytes(16));
      const bytes = await alice.session(groupId).encrypt(utf8("lost"));
      expectError(
        await signed(asAlice(), "POST", `/v1/groups/${g}/messages`, {
          json: { messageB64: b64(bytes) },
        }),
        404,
        "not_found",
      );
      expectError(
        await signed(asAlice(), "GET", `/v1/groups/${g}/messages?after=0`),
        404,
        "not_found",
      );
      expectError(await signed(asAlice(), "GET", `/v1/groups/${g}`), 404, "not_found");
      expectError(await signed(asAlice(), "GET", `/v1/groups/${g}/groupinfo`), 404, "not_found");
      expectError(await signed(asAlice(), "GET", `/v1/groups/${g}/policy`), 404, "not_found");
      expectError(await signed(asAlice(), "GET", `/v1/groups/${g}/stream`), 404, "not_found");
      expectError(
        await signed(asAlice(), "GET", "/v1/groups/not%20an%20id"),
        400,
        "invalid_request",
      );
      expectError(await raw("GET", "/v1/nothing-here"), 404, "not_found");
    });
  });

  it("refuses a message of a past epoch (409 with the current epochs) and stores nothing", async () => {
    const stale = await alice.session(groupId).encrypt(utf8("too late"));
    await bob.update(groupId, "partial");
    const g = (await storage.getGroup(groupId))!;
    await unchanged(async () => {
      const r = await signed(asAlice(), "POST", path(), { json: { messageB64: b64(stale) } });
      expectError(r, 409, "epoch_conflict");
      expect(r.json.error).toMatchObject({ currentTEpoch: g.tEpoch, currentPqEpoch: g.pqEpoch });
    });
    await alice.sync(groupId);
  });

  it("refuses a T-only PublicMessage commit that adds a member (422)", async () => {
    await alice.sync(groupId);
    const zed = await ApqSession.keyPackagePair(
      await ApqSession.newClient(basicCredential(utf8("zed"))),
    );
    const { commit } = await alice.session(groupId).traditional.commit({
      add: [zed.t.keyPackage],
      path: true,
      publicMessage: true,
    });
    await unchanged(async () => {
      expectError(
        await signed(asAlice(), "POST", path(), {
          json: { messageB64: b64(encodeBytes(mlsMessageCodec, commit)) },
        }),
        422,
        "membership_change_not_full",
      );
    });
  });

  it("accepts Update proposals, plain and paired (a FULL request), and the commit that follows", async () => {
    await bob.sync(groupId);
    const plain = await bob.session(groupId).proposeUpdate();
    expect(await bob.service.postMessage(groupId, plain)).toMatchObject({ kind: "proposal" });
    const pair = await bob.session(groupId).proposeUpdate({ full: true });
    const r = await bob.service.postMessage(groupId, pair);
    const g = (await storage.getGroup(groupId))!;
    expect(r).toEqual({ seq: g.lastSeq, kind: "proposal", tEpoch: g.tEpoch, pqEpoch: g.pqEpoch });
    await alice.sync(groupId);
    expect(alice.session(groupId).pendingFullRequests()).toEqual([
      `basic:${Buffer.from("bob").toString("hex")}`,
    ]);
    await alice.update(groupId, "full");
    await bob.sync(groupId);
    expect(bob.session(groupId).tEpoch).toBe(alice.session(groupId).tEpoch);
  });

  it("pages through messages and resumes a stream from Last-Event-ID", async () => {
    const all = await alice.service.readMessages(groupId, 0, 1000);
    const n = all.messages.length;
    expect(n).toBeGreaterThan(4);
    const page = await signed(asAlice(), "GET", `/v1/groups/${groupId}/messages?after=1&limit=2`);
    expect((page.json.messages as { seq: number }[]).map((m) => m.seq)).toEqual([2, 3]);
    expect(page.json.next).toBe(3);
    expectError(
      await signed(asAlice(), "GET", `/v1/groups/${groupId}/messages?after=-1`),
      400,
      "invalid_request",
    );
    expectError(
      await signed(asAlice(), "GET", `/v1/groups/${groupId}/messages?limit=5000`),
      400,
      "invalid_request",
    );

    const streamPath = `/v1/groups/${groupId}/stream?after=0`;
    const abort = new AbortController();
    const res = await fetch(`${server.url}${streamPath}`, {
      headers: {
        authorization: await authorizationHeader(
          alice.service.clientId,
          aliceKey,
          "GET",
          streamPath,
          new Uint8Array(0),
        ),
        "last-event-id": String(n - 2),
      },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while ((text.match(/\n\n/g)?.length ?? 0) < 3) text += (await reader.read()).value ?? "";
    abort.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([n - 1, n]);
  });
});

describe("groups and policy", () => {
  it("validates policies with the library's schema (400 says what to change)", async () => {
    await unchanged(async () => {
      const r = await signed(asAlice(), "PUT", `/v1/groups/${groupId}/policy`, {
        json: { full: { everySeconds: 100 }, inactivitySeconds: 50 },
      });
      expectError(r, 400, "invalid_request");
      expect(r.json.error?.message).toContain("inactivitySeconds");
      expectError(
        await signed(asAlice(), "PUT", `/v1/groups/${groupId}/policy`, {
          json: { full: { everyCommits: 0 } },
        }),
        400,
        "invalid_request",
      );
      const gi = await ApqSession.create(
        await ApqSession.newClient(basicCredential(utf8("alice"))),
      );
      expectError(
        await signed(asAlice(), "POST", "/v1/groups", {
          json: { groupInfoPairB64: b64(await gi.groupInfoPair()), policy: { bogus: 1 } },
        }),
        400,
        "invalid_request",
      );
      // A GroupInfo pair whose tree does not hold the caller.
      const stranger = await ApqSession.create(
        await ApqSession.newClient(basicCredential(utf8("nobody"))),
      );
      expectError(
        await signed(asAlice(), "POST", "/v1/groups", {
          json: { groupInfoPairB64: b64(await stranger.groupInfoPair()) },
        }),
        400,
        "not_in_group",
      );
      // An existing group.
      expectError(
        await signed(asAlice(), "POST", "/v1/groups", {
          json: { groupInfoPairB64: b64((await storage.getGroupInfo(groupId))!.pair) },
        }),
        409,
        "group_exists",
      );
    });
    const policy = {
      full: { everyCommits: 5, everySeconds: 600 },
      partial: { everyMessages: 10, everySeconds: 300 },
      inactivitySeconds: 3600,
    };
    expect(await alice.service.putPolicy(groupId, policy)).toEqual(policy);
    expect(await bob.service.getPolicy(groupId)).toEqual(policy);
  });

  it("reports the schedule and inactive members from the server's view", async () => {
    const r = (await bob.service.schedule(groupId)) as unknown as {
      decision: { update: string; inactive: string[] };
      snapshot: { established: boolean; lastActive: Record<string, number> };
    };
    expect(r.snapshot.established).toBe(true);
    expect(Object.keys(r.snapshot.lastActive).sort()).toEqual(
      [b64(utf8("alice")), b64(utf8("bob"))].sort(),
    );
    expect(r.decision.inactive).toEqual([]);
    // The same storage seen two hours later (the policy's window is one hour).
    const later = await listen({ storage, clock: () => Date.now() + 2 * 3600_000 });
    try {
      const inactive = await fetch(`${later.url}/v1/groups/${groupId}/inactive`, {
        headers: {
          authorization: await authorizationHeader(
            alice.service.clientId,
            aliceKey,
            "GET",
            `/v1/groups/${groupId}/inactive`,
            new Uint8Array(0),
          ),
        },
      });
      const body = (await inactive.json()) as { inactive: string[]; inactivitySeconds: number };
      expect(body.inactivitySeconds).toBe(3600);
      expect(body.inactive.sort()).toEqual([b64(utf8("alice")), b64(utf8("bob"))].sort());
      const schedulePath = `/v1/groups/${groupId}/schedule`;
      const s = await fetch(`${later.url}${schedulePath}`, {
        headers: {
          authorization: await authorizationHeader(
            alice.service.clientId,
            aliceKey,
            "GET",
            schedulePath,
            new Uint8Array(0),
          ),
        },
      });
      expect(
        ((await s.json()) as { decision: { update: string; rule: string } }).decision,
      ).toMatchObject({
        update: "FULL",
        rule: "full-every-seconds",
      });
    } finally {
      await later.close();
    }
  });

  it("lists the caller's groups with their members", async () => {
    const groups = await bob.service.listGroups();
    expect(groups.map((g) => g.groupId)).toEqual([groupId]);
    expect(new Set(groups[0]!.members as string[])).toEqual(
      new Set([b64(utf8("alice")), b64(utf8("bob"))]),
    );
  });
});

describe("operations", () => {
  it("serves health, readiness, metrics, OpenAPI and the docs", async () => {
    expect(await raw("GET", "/healthz")).toMatchObject({ status: 200, json: { status: "ok" } });
    expect(await raw("GET", "/readyz")).toMatchObject({ status: 200, json: { status: "ready" } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('hpqmls_messages_accepted_total{kind="application"}');
    expect(metrics).toContain('hpqmls_messages_accepted_total{kind="full-commit"}');
    expect(metrics).toMatch(/hpqmls_epoch_conflicts_total\{kind="application"\} [1-9]/);
    expect(metrics).toContain('route="/v1/groups/:groupId/messages",status="201"');
    expect(metrics).toContain("hpqmls_http_request_duration_seconds_bucket");
    const openapi = (await raw("GET", "/openapi.json")).json as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(openapi.openapi).toBe("3.0.3");
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        "/v1/clients",
        "/v1/keypackages/claim",
        "/v1/groups/{groupId}/messages",
        "/v1/groups/{groupId}/stream",
        "/v1/welcomes/{seq}",
        "/healthz",
      ]),
    );
    expect(openapi.paths["/v1/groups/{groupId}/messages"]!.post!.requestBody).toBeDefined();
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("<html");
  });

  it("answers 503 with Retry-After when the database is unreachable", async () => {
    const dead = await backend.open();
    const down = await listen({ storage: dead });
    try {
      await dead.close();
      const r = await fetch(`${down.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("5");
      const path = "/v1/clients/me";
      const me = await fetch(`${down.url}${path}`, {
        headers: {
          authorization: await authorizationHeader(
            alice.service.clientId,
            aliceKey,
            "GET",
            path,
            new Uint8Array(0),
          ),
        },
      });
      expect(me.status).toBe(503);
      expect(me.headers.get("retry-after")).toBe("5");
      expect(((await me.json()) as Reply["json"]).error?.code).toBe("database_unavailable");
      expect(await (await fetch(`${down.url}/healthz`)).json()).toEqual({ status: "ok" });
    } finally {
      await down.close();
    }
  });

  it("limits requests per client and per address (429 with Retry-After)", async () => {
    const limited = await listen({ storage, rateLimit: 3, ipRateLimit: 6 });
    try {
      const path = "/v1/clients/me";
      const call = async () =>
        fetch(`${limited.url}${path}`, {
          headers: {
            authorization: await authorizationHeader(
              alice.service.clientId,
              aliceKey,
              "GET",
              path,
              new Uint8Array(0),
            ),
          },
        });
      for (let i = 0; i < 3; i++) expect((await call()).status).toBe(200);
      const r = await call();
      expect(r.status).toBe(429);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await r.json()) as Reply["json"]).error?.code).toBe("rate_limited");
      // Unauthenticated requests count per address.
      let last = 0;
      for (let i = 0; i < 4; i++) last = (await fetch(`${limited.url}/v1/groups`)).status;
      expect(last).toBe(429);
      expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("logs JSON lines without bodies, payloads or Authorization headers", async () => {
    await new Promise((r) => setTimeout(r, 50));
    const lines = logText.trim().split("\n");
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(logText).toContain('"statusCode":409');
    expect(logText).not.toMatch(/HPQMLS-Ed25519 client=/);
    expect(logText.toLowerCase()).not.toContain('"authorization"');
    expect(sentAuthorizations.length).toBeGreaterThan(10);
    for (const a of sentAuthorizations) {
      const sig = /sig="([^"]+)"/.exec(a)![1]!;
      const nonce = /nonce="([^"]+)"/.exec(a)![1]!;
      expect(logText).not.toContain(sig);
      expect(logText).not.toContain(nonce);
    }
    for (const body of sentBodies) {
      const m = /"(?:messageB64|groupInfoPairB64)":"([A-Za-z0-9_-]{24,})/.exec(body);
      if (m !== null) expect(logText).not.toContain(m[1]!.slice(0, 24));
    }
  });
});
