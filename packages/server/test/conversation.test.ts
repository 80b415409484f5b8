import { ApqMember, type StoredMessage } from "@hpqmls/client";
import { openPgliteStorage, type SqlStorage } from "@hpqmls/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type TestServer, tempDir } from "./helpers.js";

/**
 * A whole conversation through the service over real HTTP, with @hpqmls/client: three members
 * in a hybrid (X25519/Ed25519 + ML-KEM-768/ML-DSA-65) group, adds, messages, FULL and PARTIAL
 * commits as the server's schedule says, a server restart on the same PGlite data directory,
 * a removal and an external join; an SSE stream follows it all, across the restart.
 */

const POLICY = {
  full: { everyCommits: 3, everySeconds: 3600 },
  partial: { everyMessages: 2, everySeconds: 1800 },
  inactivitySeconds: 7200,
};

describe("a conversation through the service", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let storage: SqlStorage;
  let server: TestServer;
  let port = 0;
  const members = new Map<string, ApqMember>();
  /** What each member must have received, in order. */
  const expected = new Map<string, string[]>();
  const current = new Set<string>();
  let groupId = "";
  const streamed: StoredMessage[] = [];
  const stop = new AbortController();
  let streaming: Promise<void> | undefined;

  async function start(): Promise<void> {
    storage = await openPgliteStorage(dir.path);
    server = await listen({ storage, streamTimings: { pollMs: 500, heartbeatMs: 1000 } }, port);
    port = server.port;
  }
  async function stopServer(): Promise<void> {
    await server.close();
    await storage.close();
  }

  async function send(name: string, text: string): Promise<void> {
    await members.get(name)!.send(groupId, text);
    for (const m of current) if (m !== name) expected.get(m)!.push(text);
  }

  beforeAll(async () => {
    dir = await tempDir("hpqmls-conv-");
    await start();
    for (const name of ["alice", "bob", "carol"]) {
      members.set(name, await ApqMember.register(server.url, name));
      expected.set(name, []);
    }
  });
  afterAll(async () => {
    stop.abort();
    await streaming?.catch(() => {});
    await stopServer();
    await dir.remove();
  });

  it("creates a hybrid group, adds two members, and exchanges messages", async () => {
    const alice = members.get("alice")!;
    await members.get("bob")!.publishKeyPackages(2);
    await members.get("carol")!.publishKeyPackages(2);
    expect(await members.get("bob")!.service.keyPackageCount()).toEqual({
      remaining: 2,
      lastResort: false,
    });
    groupId = await alice.createGroup(POLICY);
    current.add("alice");
    expect(await alice.service.getPolicy(groupId)).toEqual(POLICY);
    streaming = alice.service.stream(groupId, 0, (m) => void streamed.push(m), stop.signal);

    await alice.add(groupId, "bob");
    expect(await members.get("bob")!.acceptWelcomes()).toEqual([groupId]);
    current.add("bob");
    await send("bob", "hello from bob"); // bob's first commit is FULL (joiner rule)
    await send("alice", "hi bob");

    await alice.add(groupId, "carol");
    expect(await members.get("carol")!.acceptWelcomes()).toEqual([groupId]);
    current.add("carol");
    for (let i = 0; i < 3; i++) {
      await send("carol", `carol ${i}`);
      await send("bob", `bob ${i}`);
      await send("alice", `alice ${i}`);
    }
    const info = await alice.service.getGroup(groupId);
    expect(new Set(info.members as string[])).toEqual(
      new Set(["alice", "bob", "carol"].map((n) => Buffer.from(n).toString("base64url"))),
    );
    const stats = [...members.values()].map((m) => m.stats);
    expect(stats.reduce((n, s) => n + s.partialCommits, 0)).toBeGreaterThan(0);
    expect(stats.reduce((n, s) => n + s.fullCommits, 0)).toBeGreaterThan(4);
  });

  it("survives a server restart on the same data directory", async () => {
    const before = (await storage.getGroup(groupId))!;
    await stopServer();
    await start();
    const after = (await storage.getGroup(groupId))!;
    expect(after).toEqual(before);
    for (let i = 0; i < 3; i++) {
      await send("alice", `after restart ${i}`);
      await send("carol", `carol after restart ${i}`);
      await send("bob", `bob after restart ${i}`);
    }
    const { decision } = await members.get("bob")!.service.schedule(groupId);
    expect(["none", "PARTIAL", "FULL"]).toContain(decision.update);
  });

  it("removes a member, who reads up to its removal and can post no more", async () => {
    const alice = members.get("alice")!;
    const carol = members.get("carol")!;
    await alice.remove(groupId, "carol");
    current.delete("carol");
    await carol.sync(groupId);
    expect(carol.isMember(groupId)).toBe(false);
    const info = await alice.service.getGroup(groupId);
    expect(info.members).not.toContain(Buffer.from("carol").toString("base64url"));
    await expect(carol.service.getGroup(groupId)).rejects.toMatchObject({ status: 403 });
    await send("bob", "carol is gone");
    await send("alice", "indeed");
  });

  it("lets a new client join by external commit", async () => {
    const dave = await ApqMember.register(server.url, "dave");
    members.set("dave", dave);
    expected.set("dave", []);
    await dave.joinExternal(groupId);
    current.add("dave");
    await send("dave", "dave joined");
    await send("alice", "welcome dave");
    await send("bob", "hi dave");
  });

  it("delivered every message exactly once, in order, to members and to the stream", async () => {
    for (const name of current) await members.get(name)!.sync(groupId);
    for (const [name, m] of members)
      expect(
        m.inbox.map((r) => r.text),
        `inbox of ${name}`,
      ).toEqual(expected.get(name));
    const epochs = [...current].map((n) => members.get(n)!.session(groupId).tEpoch);
    expect(new Set(epochs).size).toBe(1);

    const last = (await storage.getGroup(groupId))!.lastSeq;
    const { messages } = await members.get("alice")!.service.readMessages(groupId, 0, 1000);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const deadline = Date.now() + 20_000;
    while (streamed.length < last && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(streamed.map((m) => m.seq)).toEqual(messages.map((m) => m.seq));
    expect(streamed.map((m) => m.kind)).toEqual(messages.map((m) => m.kind));
    const kinds = new Set(messages.map((m) => m.kind));
    for (const k of ["full-commit", "partial-commit", "application", "external-join"])
      expect(kinds).toContain(k);
  });
});
