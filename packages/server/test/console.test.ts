import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApqMember } from "@hpqmls/client";
import { buildApp, type SqlStorage } from "@hpqmls/server";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, listen, pgliteBackend, type TestServer } from "./helpers.js";

/**
 * The operator console (packages/server/src/console, API.md "Console"): its JSON endpoints over
 * a real conversation (groups with member counts, epochs, suites; the commit timeline with FULL
 * and PARTIAL marked and their sizes; schedule, inactivity, policy edits through the policy
 * schema), its access rule (loopback by default, an operator token when configured, off on
 * request) and its static pages, bundles and bench charts.
 */

const POLICY = {
  full: { everyCommits: 3, everySeconds: 3600 },
  partial: { everyMessages: 1, everySeconds: 1800 },
  inactivitySeconds: 7200,
};

interface Commit {
  seq: number;
  kind: string;
  update: string;
  tEpoch: number;
  pqEpoch: number;
  bytes: number;
  welcomeBytes: number;
  senderName: string | null;
  createdAt: number;
}

const ENV_KEYS = ["HPQMLS_CONSOLE", "HPQMLS_CONSOLE_TOKEN", "HPQMLS_BENCH_DIR"] as const;

/** An app over `storage` built with these console variables (restored afterwards). */
async function appWith(
  storage: SqlStorage,
  env: Partial<Record<(typeof ENV_KEYS)[number], string>>,
): Promise<FastifyInstance> {
  const saved = ENV_KEYS.map((k) => [k, process.env[k]] as const);
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, env);
  try {
    return await buildApp({ storage, rateLimit: 100_000 });
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("the operator console", () => {
  let backend: Backend;
  let storage: SqlStorage;
  let server: TestServer;
  let app: FastifyInstance;
  let benchDir: string;
  let groupId = "";
  let alice: ApqMember;
  let bob: ApqMember;

  beforeAll(async () => {
    backend = await pgliteBackend();
    storage = await backend.open();
    benchDir = await mkdtemp(join(tmpdir(), "hpqmls-bench-"));
    await writeFile(
      join(benchDir, "2026-01-01-test-commit-bytes.svg"),
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
    );
    await writeFile(join(benchDir, "notes.txt"), "not a chart");
    server = await listen({ storage });
    app = await appWith(storage, { HPQMLS_BENCH_DIR: benchDir });

    alice = await ApqMember.register(server.url, "alice");
    bob = await ApqMember.register(server.url, "bob");
    await bob.publishKeyPackages(1);
    groupId = await alice.createGroup(POLICY);
    await alice.add(groupId, "bob");
    await bob.acceptWelcomes();
    await bob.send(groupId, "hello"); // bob's first commit: FULL (joiner rule)
    await alice.send(groupId, "hi"); // PARTIAL: one message since the last commit
    await bob.send(groupId, "again"); // FULL: every 3 commits
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await server?.close();
    await storage?.close();
    await backend?.dispose();
    await rm(benchDir, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    app.inject({ method: "GET", url: path, headers });

  it("lists every group with its member count, epochs, mode and suites (no signed request)", async () => {
    const r = await get("/v1/console/groups");
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.total).toBe(1);
    const g = body.groups[0];
    expect(g).toMatchObject({
      groupId,
      members: 2,
      tSuite: 1,
      tSuiteName: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
      mode: 1,
      modeName: "PQ/T confidentiality + authenticity",
    });
    expect(g.pqSuiteName).toMatch(/MLKEM768/);
    const detail = await alice.service.getGroup(groupId);
    expect(g.tEpoch).toBe(detail.tEpoch);
    expect(g.pqEpoch).toBe(detail.pqEpoch);
    expect(g.tEpoch).toBeGreaterThan(g.pqEpoch);
    expect((await get("/v1/console/groups?limit=0")).statusCode).toBe(400);
  });

  it("shows the commit timeline newest first, FULL and PARTIAL marked, with their sizes", async () => {
    const r = await get(`/v1/console/groups/${groupId}/timeline`);
    expect(r.statusCode).toBe(200);
    const commits = r.json().commits as Commit[];
    // establish, add bob, bob's first (joiner rule), then one PARTIAL per message (policy)
    expect(commits.map((c) => c.update)).toEqual(["PARTIAL", "PARTIAL", "FULL", "FULL", "FULL"]);
    expect(commits.map((c) => c.kind)).toEqual([
      "partial-commit",
      "partial-commit",
      "full-commit",
      "full-commit",
      "full-commit",
    ]);
    expect(commits.map((c) => c.senderName)).toEqual(["bob", "alice", "bob", "alice", "alice"]);
    const seqs = commits.map((c) => c.seq);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    for (const c of commits) {
      expect(c.bytes).toBeGreaterThan(0);
      expect(c.createdAt).toBeGreaterThan(0);
    }
    // A FULL commit carries the PQ group's commit (ML-KEM, ML-DSA): much larger than a PARTIAL.
    const partial = commits.find((c) => c.update === "PARTIAL")!;
    const full = commits.find((c) => c.update === "FULL")!;
    expect(full.bytes).toBeGreaterThan(partial.bytes * 2);
    // a PARTIAL commit moves the T epoch only
    expect(commits[0]!.pqEpoch).toBe(commits[1]!.pqEpoch);
    expect(commits[0]!.tEpoch).toBe(commits[1]!.tEpoch + 1);
    expect(commits[2]!.pqEpoch).toBe(commits[3]!.pqEpoch + 1);

    const page1 = (await get(`/v1/console/groups/${groupId}/timeline?limit=2`)).json();
    expect(page1.commits.map((c: Commit) => c.seq)).toEqual(seqs.slice(0, 2));
    const page2 = (
      await get(`/v1/console/groups/${groupId}/timeline?limit=2&before=${page1.next}`)
    ).json();
    expect(page2.commits.map((c: Commit) => c.seq)).toEqual(seqs.slice(2, 4));
    expect((await get("/v1/console/groups/AAAA/timeline")).statusCode).toBe(404);
  });

  it("reports the group's schedule, members, inactivity, policy and message totals", async () => {
    const r = await get(`/v1/console/groups/${groupId}`);
    expect(r.statusCode).toBe(200);
    const g = r.json();
    expect(g.policy).toEqual(POLICY);
    // two PARTIAL commits since the last FULL one: the third commit must be FULL
    expect(g.schedule.decision).toMatchObject({ update: "FULL", rule: "full-every-commits" });
    expect(g.schedule.decision.reason).toContain("2 PARTIAL commits since the last FULL one");
    expect(g.schedule.snapshot).toMatchObject({ commitsSinceFull: 2, messagesSinceUpdate: 1 });
    expect(g.members.map((m: { name: string }) => m.name).sort()).toEqual(["alice", "bob"]);
    expect(g.inactive).toEqual({ inactivitySeconds: 7200, members: [] });
    const totals = Object.fromEntries(
      g.totals.map((t: { kind: string; count: number }) => [t.kind, t.count]),
    );
    expect(totals).toEqual({ application: 3, "full-commit": 3, "partial-commit": 2 });
    expect(await bob.service.schedule(groupId)).toMatchObject({ decision: g.schedule.decision });
  });

  it("edits the policy with the policy schema's validation", async () => {
    const put = (body: string, headers: Record<string, string> = {}) =>
      app.inject({
        method: "PUT",
        url: `/v1/console/groups/${groupId}/policy`,
        headers: { "content-type": "application/json", ...headers },
        payload: body,
      });
    const next = { ...POLICY, full: { everyCommits: 5, everySeconds: 3600 } };
    const ok = await put(JSON.stringify(next));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual(next);
    expect(await alice.service.getPolicy(groupId)).toEqual(next);

    const bad = await put(
      JSON.stringify({ ...POLICY, full: { everyCommits: 3, everySeconds: 9000 } }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain("full.everySeconds");
    // the same refusal as the members' PUT /v1/groups/{id}/policy
    const viaMember = await alice.service
      .putPolicy(groupId, { ...POLICY, full: { everyCommits: 3, everySeconds: 9000 } })
      .catch((e: { status: number; code: string }) => e);
    expect(viaMember).toMatchObject({ status: 400 });
    expect((await put(JSON.stringify({ ...POLICY, extra: 1 }))).statusCode).toBe(400);
    expect((await put("x", { "content-type": "text/plain" })).statusCode).toBe(415);
    const cross = await put(JSON.stringify(next), { origin: "http://evil.example" });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().error.code).toBe("cross_origin");
    expect((await put(JSON.stringify(next), { origin: "http://localhost:80" })).statusCode).toBe(
      200,
    );
    expect(await alice.service.getPolicy(groupId)).toEqual(next);
  });

  it("answers loopback requests only by default (address and Host header)", async () => {
    const remote = await app.inject({
      method: "GET",
      url: "/v1/console/groups",
      remoteAddress: "203.0.113.9",
    });
    expect(remote.statusCode).toBe(403);
    expect(remote.json().error.code).toBe("console_loopback_only");
    // DNS rebinding: a loopback connection for another site's name
    const rebound = await get("/v1/console/groups", { host: "attacker.example:8080" });
    expect(rebound.statusCode).toBe(403);
    expect((await get("/v1/console/groups", { host: "127.0.0.1:8080" })).statusCode).toBe(200);
    expect((await get("/v1/console/groups", { host: "[::1]:8080" })).statusCode).toBe(200);
    const ipv6 = await app.inject({
      method: "GET",
      url: "/v1/console/status",
      remoteAddress: "::1",
    });
    expect(ipv6.json()).toMatchObject({ auth: "loopback", storage: "pglite" });
  });

  it("needs the operator token when HPQMLS_CONSOLE_TOKEN is set, from any address", async () => {
    const token = "0123456789abcdef0123";
    const secured = await appWith(storage, { HPQMLS_CONSOLE_TOKEN: token });
    try {
      const ask = (headers: Record<string, string>) =>
        secured.inject({
          method: "GET",
          url: "/v1/console/groups",
          remoteAddress: "203.0.113.9",
          headers: { host: "console.example", ...headers },
        });
      const none = await ask({});
      expect(none.statusCode).toBe(401);
      expect(none.headers["www-authenticate"]).toBe("Bearer");
      expect((await ask({ authorization: "Bearer wrong-token-wrong-token" })).statusCode).toBe(401);
      expect((await ask({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
      // the pages themselves hold no data: they load, then ask for the token
      expect((await secured.inject({ method: "GET", url: "/console" })).statusCode).toBe(200);
    } finally {
      await secured.close();
    }
    await expect(appWith(storage, { HPQMLS_CONSOLE_TOKEN: "short" })).rejects.toThrow(
      /at least 16/,
    );
  });

  it("is not served with HPQMLS_CONSOLE=off", async () => {
    const off = await appWith(storage, { HPQMLS_CONSOLE: "off" });
    try {
      expect((await off.inject({ method: "GET", url: "/console" })).statusCode).toBe(404);
      expect((await off.inject({ method: "GET", url: "/v1/console/groups" })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });

  it("serves the pages with a strict CSP, the stylesheet and the bundled scripts", async () => {
    for (const [path, marker] of [
      ["/console", 'data-page="groups"'],
      [`/console/groups/${groupId}`, 'data-page="group"'],
      ["/console/bench", 'data-page="bench"'],
      ["/console/chat", 'data-page="chat"'],
    ] as const) {
      const r = await get(path);
      expect(r.statusCode, path).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^text\/html/);
      expect(r.body).toContain(marker);
      expect(r.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(r.headers["x-content-type-options"]).toBe("nosniff");
    }
    expect((await get("/console/assets/console.css")).headers["content-type"]).toMatch(/text\/css/);
    const chat = await get("/console/assets/chat.js");
    expect(chat.statusCode).toBe(200);
    expect(chat.headers["content-type"]).toMatch(/javascript/);
    // The browser bundle: WebCrypto platform, no Node built-in.
    expect(chat.body).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(chat.body.length).toBeGreaterThan(100_000);
    const js = await get("/console/assets/console.js");
    expect(js.statusCode).toBe(200);
    expect((await get("/console/assets/other.js")).statusCode).toBe(404);
  }, 60_000);

  it("lists and serves the bench charts (SVG files only)", async () => {
    const list = (await get("/v1/console/bench")).json();
    expect(list.charts.map((c: { name: string }) => c.name)).toEqual([
      "2026-01-01-test-commit-bytes.svg",
    ]);
    const svg = await get(list.charts[0].url);
    expect(svg.statusCode).toBe(200);
    expect(svg.headers["content-type"]).toBe("image/svg+xml");
    expect(svg.headers["content-security-policy"]).toContain("default-src 'none'");
    expect((await get("/console/bench/notes.txt")).statusCode).toBe(404);
    expect((await get("/console/bench/..%2F..%2Fpackage.json")).statusCode).toBe(404);
    expect((await get("/console/bench/missing.svg")).statusCode).toBe(404);
  });
});
