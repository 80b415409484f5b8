/**
 * No secret reaches the service's logs or error messages. A whole conversation runs through
 * the real server over HTTP (PGlite storage, pino logger at `trace` writing into a buffer):
 * group creation, adds by Welcome, FULL and PARTIAL commits, application messages, a removal,
 * an external join, and a few refused requests. After every step the test harvests the secrets
 * the clients hold (epoch secrets of both groups of every session, exporter outputs, node and
 * leaf encryption private keys, signature private keys, KeyPackage init/encryption keys, the
 * clients' service signing keys) and finally asserts that none of them appears, as hex (either
 * case), base64 or base64url (at any byte alignment) or as a list of decimal bytes, in any log
 * line or any error message the clients saw. A last test logs a secret on purpose and shows
 * the search finds it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { ApqMember, generateServiceKey } from "@hpqmls/client";
import type { KeyPackageBundle, KeyPair, MlsGroup } from "@hpqmls/mls-core";
import { buildApp, createLogger, openPgliteStorage, type SqlStorage } from "@hpqmls/server";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// ------------------------------------------------------------------ the search

/** Every textual form of `secret` this test looks for. */
export function encodings(secret: Uint8Array): string[] {
  const hex = Buffer.from(secret).toString("hex");
  const out = [hex, hex.toUpperCase(), Array.from(secret.subarray(0, 16)).join(",")];
  // base64 depends on where the secret sits in a larger buffer: starting the encoding at byte
  // 0, 1 and 2 of the secret covers every alignment; only the characters that depend on the
  // secret alone (whole 3-byte groups) are kept.
  for (let skip = 0; skip < 3; skip++) {
    const part = secret.subarray(skip);
    const whole = Math.floor(part.length / 3) * 3;
    if (whole < 12) continue;
    const b64 = Buffer.from(part.subarray(0, whole)).toString("base64");
    out.push(b64, b64.replaceAll("+", "-").replaceAll("/", "_"));
  }
  return out;
}

export interface Leak {
  readonly secret: string;
  readonly form: string;
  readonly where: string;
}

/** The secrets (by name) found in any of `texts`. */
export function findLeaks(secrets: ReadonlyMap<string, Uint8Array>, texts: readonly string[]) {
  const leaks: Leak[] = [];
  for (const [name, value] of secrets)
    for (const form of encodings(value))
      for (const t of texts)
        if (t.includes(form)) leaks.push({ secret: name, form, where: t.slice(0, 300) });
  return leaks;
}

// ------------------------------------------------------------------ the conversation

const POLICY = {
  full: { everyCommits: 3, everySeconds: 3600 },
  partial: { everyMessages: 2, everySeconds: 1800 },
  inactivitySeconds: 7200,
};

describe("secrets never appear in the service's logs or errors", () => {
  const lines: string[] = [];
  const errors: string[] = [];
  const secrets = new Map<string, Uint8Array>();
  const members = new Map<string, ApqMember>();
  const serviceKeys = new Map<string, KeyPair>();
  let dir = "";
  let storage: SqlStorage;
  let app: FastifyInstance;
  let url = "";
  let groupId = "";

  function keep(name: string, v: Uint8Array | undefined): void {
    // Wiped (all-zero) or tiny values are not secrets worth searching for.
    if (v === undefined || v.length < 16 || v.every((x) => x === 0)) return;
    secrets.set(`${name}:${Buffer.from(v).toString("hex").slice(0, 8)}`, v.slice());
  }

  function harvestGroup(prefix: string, g: MlsGroup): void {
    const s = g.currentState;
    for (const [k, v] of Object.entries(s.secrets)) keep(`${prefix}.${k}`, v as Uint8Array);
    keep(`${prefix}.signaturePrivateKey`, s.signaturePrivateKey);
    for (const [n, k] of s.privateKeys) keep(`${prefix}.node${n}.privateKey`, k.privateKey);
  }

  /** Collects every secret the members hold right now. */
  async function harvest(): Promise<void> {
    for (const [name, m] of members) {
      const bundles = (m as unknown as { bundles: { t: KeyPackageBundle; pq: KeyPackageBundle }[] })
        .bundles;
      for (const b of bundles)
        for (const [half, kp] of [
          ["t", b.t],
          ["pq", b.pq],
        ] as const) {
          keep(`${name}.kp.${half}.init`, kp.privateKeys.initPrivateKey);
          keep(`${name}.kp.${half}.encryption`, kp.privateKeys.encryptionPrivateKey);
          keep(`${name}.kp.${half}.signature`, kp.privateKeys.signaturePrivateKey);
        }
      keep(`${name}.serviceKey`, serviceKeys.get(name)?.privateKey);
      if (!m.groupIds().includes(groupId)) continue;
      const session = m.session(groupId);
      if (!session.isActive) continue;
      harvestGroup(`${name}.T`, session.traditional);
      harvestGroup(`${name}.PQ`, session.postQuantum);
      keep(
        `${name}.exporter`,
        await session.exportSecret("secrets-in-logs", new Uint8Array(0), 32),
      );
    }
  }

  /** Runs `f`, harvests, and records the message of any error (which is then rethrown). */
  async function step(f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      errors.push(errorText(e));
      throw e;
    }
    await harvest();
  }

  function errorText(e: unknown): string {
    const body = (e as { body?: unknown }).body;
    return `${String(e)} ${(e as Error)?.stack ?? ""} ${body === undefined ? "" : JSON.stringify(body)}`;
  }

  async function register(name: string): Promise<ApqMember> {
    const key = await generateServiceKey();
    serviceKeys.set(name, key);
    const m = await ApqMember.register(url, name, {}, key);
    members.set(name, m);
    return m;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hpqmls-secrets-"));
    storage = await openPgliteStorage(dir);
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n")) if (l.trim() !== "") lines.push(l);
        done();
      },
    });
    app = await buildApp({ storage, logger: createLogger("trace", sink), rateLimit: 100_000 });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    await app?.close();
    await storage?.close();
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it("runs a conversation: create, adds, FULL and PARTIAL commits, messages, remove, external join", async () => {
    const alice = await register("alice");
    const bob = await register("bob");
    const carol = await register("carol");
    await step(() => bob.publishKeyPackages(2));
    await step(() => carol.publishKeyPackages(2));
    await step(async () => {
      groupId = await alice.createGroup(POLICY);
    });
    await step(() => alice.add(groupId, "bob"));
    await step(() => bob.acceptWelcomes());
    await step(() => bob.send(groupId, "hello from bob"));
    await step(() => alice.send(groupId, "hi bob"));
    await step(() => alice.update(groupId, "partial"));
    await step(() => bob.update(groupId, "full"));
    await step(() => alice.add(groupId, "carol"));
    await step(() => carol.acceptWelcomes());
    for (let i = 0; i < 3; i++) {
      await step(() => carol.send(groupId, `carol ${i}`));
      await step(() => bob.send(groupId, `bob ${i}`));
      await step(() => alice.send(groupId, `alice ${i}`));
    }
    await step(() => carol.update(groupId, "partial"));
    await step(() => bob.update(groupId, "partial"));
    await step(() => alice.update(groupId, "full"));
    for (const m of [alice, bob, carol]) await step(() => m.sync(groupId));
    await step(() => alice.remove(groupId, "carol"));
    await step(() => carol.sync(groupId));
    const dave = await register("dave");
    await step(() => dave.joinExternal(groupId));
    await step(() => dave.send(groupId, "dave joined"));
    await step(() => bob.send(groupId, "hi dave"));
    for (const m of [alice, bob, dave]) await step(() => m.sync(groupId));

    const stats = [...members.values()].map((m) => m.stats);
    expect(stats.reduce((n, s) => n + s.fullCommits, 0)).toBeGreaterThan(3);
    expect(stats.reduce((n, s) => n + s.partialCommits, 0)).toBeGreaterThan(2);
    const texts = bob.inbox.map((r) => r.text);
    expect(texts).toContain("dave joined");
    expect(texts).toContain("carol 2");
    expect(alice.isMember(groupId)).toBe(true);
    expect(carol.isMember(groupId)).toBe(false);
  });

  it("provokes refused requests whose errors are logged and returned", async () => {
    const alice = members.get("alice")!;
    const carol = members.get("carol")!;
    const refused = async (f: () => Promise<unknown>) => {
      let failed = false;
      try {
        await f();
      } catch (e) {
        failed = true;
        errors.push(errorText(e));
      }
      expect(failed).toBe(true);
    };
    // garbage instead of an MLS message, a message from a removed member, an unknown group
    await refused(() => alice.service.postMessage(groupId, new Uint8Array(64).fill(7)));
    await refused(() => carol.service.postMessage(groupId, new Uint8Array([0, 1, 0, 2])));
    await refused(() => alice.service.getGroup("no-such-group"));
    // a stale commit (an epoch already taken) is refused with 409
    const session = alice.session(groupId);
    const stale = await session.partialCommit();
    await alice.service.postMessage(groupId, stale.message).then(
      () => stale.merge(),
      (e) => {
        errors.push(errorText(e));
        stale.discard();
      },
    );
    await harvest();
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it("logged at trace level", () => {
    expect(lines.length).toBeGreaterThan(100);
    const levels = new Set(lines.map((l) => (JSON.parse(l) as { level: number }).level));
    expect(levels.has(10) || levels.has(20) || levels.has(30)).toBe(true);
    expect(secrets.size).toBeGreaterThan(200);
    // all the kinds of secrets were collected
    for (const kind of [
      "T.exporterSecret",
      "PQ.exporterSecret",
      "T.senderDataSecret",
      "T.initSecret",
      "T.resumptionPsk",
      "signaturePrivateKey",
      ".privateKey",
      "kp.t.init",
      "kp.pq.init",
      "serviceKey",
      "exporter",
    ])
      expect(
        [...secrets.keys()].some((k) => k.includes(kind)),
        kind,
      ).toBe(true);
  });

  it("no harvested secret appears in any log line or error message", () => {
    const leaks = findLeaks(secrets, [...lines, ...errors]);
    expect(leaks).toEqual([]);
  });

  it("the search finds a secret that is logged on purpose (sanity)", () => {
    const [name, secret] = [...secrets].find(([k]) => k.includes("T.exporterSecret"))!;
    const before = lines.length;
    // Logged as hex, as base64url inside a larger buffer (odd offset), and in an error message.
    app.log.warn({ leakedHex: Buffer.from(secret).toString("hex") }, "deliberate leak 1");
    const framed = Buffer.concat([Buffer.from([1]), Buffer.from(secret), Buffer.from([2, 3])]);
    app.log.info(`deliberate leak 2 ${framed.toString("base64url")}`);
    app.log.error({
      err: new Error(`deliberate leak 3 ${Buffer.from(secret).toString("base64")}`),
    });
    const fresh = lines.slice(before);
    expect(fresh.length).toBe(3);
    const leaks = findLeaks(new Map([[name, secret]]), fresh);
    for (const i of [1, 2, 3])
      expect(
        leaks.some((l) => l.where.includes(`deliberate leak ${i}`)),
        `leak ${i}`,
      ).toBe(true);
    // and a secret that was never logged is not found
    expect(
      findLeaks(new Map([["random", crypto.getRandomValues(new Uint8Array(32))]]), fresh),
    ).toEqual([]);
  });
});
