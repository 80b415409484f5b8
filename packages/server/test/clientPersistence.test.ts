import {
  ApqMember,
  decodeGroupRecord,
  decodeMemberRecord,
  encodeGroupRecord,
  MemoryClientStore,
} from "@hpqmls/client";
import { CodecError, toHex, utf8 } from "@hpqmls/mls-core";
import { openPgliteStorage, type SqlStorage } from "@hpqmls/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listen, type TestServer, tempDir } from "./helpers.js";

/**
 * @hpqmls/client members that keep their state in a ClientStore (memory here; IndexedDB in the
 * browser, test/browser/) and come back from it: a member restored from its store goes on in
 * its groups, reads what was sent meanwhile, sends, commits, and still joins by its saved
 * KeyPackage pairs.
 */
describe("ApqMember state in a ClientStore", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let storage: SqlStorage;
  let server: TestServer;

  beforeAll(async () => {
    dir = await tempDir("hpqmls-client-store-");
    storage = await openPgliteStorage(dir.path);
    server = await listen({ storage });
  });
  afterAll(async () => {
    await server.close();
    await storage.close();
    await dir.remove();
  });

  it("a restored member goes on where it was saved", async () => {
    const aliceStore = new MemoryClientStore();
    const bobStore = new MemoryClientStore();
    const alice = await ApqMember.register(server.url, "alice", {}, undefined, aliceStore);
    const bob = await ApqMember.register(server.url, "bob", {}, undefined, bobStore);
    await bob.publishKeyPackages(2);
    const groupId = await alice.createGroup();
    await alice.add(groupId, "bob");
    expect(await bob.acceptWelcomes()).toEqual([groupId]);
    await alice.send(groupId, "one");
    expect((await bob.sync(groupId)).map((m) => m.text)).toEqual(["one"]);

    // Bob's process ends; a new one restores him from his store.
    const bob2 = await ApqMember.restore(server.url, bobStore);
    expect(bob2.name).toBe("bob");
    expect(bob2.service.clientId).toBe(bob.service.clientId);
    expect(bob2.groupIds()).toEqual([groupId]);
    await alice.send(groupId, "two");
    expect((await bob2.sync(groupId)).map((m) => m.text)).toEqual(["two"]);
    await bob2.send(groupId, "three");
    expect((await alice.sync(groupId)).map((m) => m.text)).toEqual(["three"]);

    // Alice too; her FULL commit from the restored state reaches Bob.
    const alice2 = await ApqMember.restore(server.url, aliceStore);
    const tEpoch = alice2.session(groupId).tEpoch;
    await alice2.update(groupId, "full");
    await bob2.sync(groupId);
    expect(bob2.session(groupId).tEpoch).toBe(tEpoch + 1n);
    expect(bob2.session(groupId).tEpoch).toBe(alice2.session(groupId).tEpoch);
    await alice2.send(groupId, "four");
    expect((await bob2.sync(groupId)).map((m) => m.text)).toEqual(["four"]);

    // Bob's unused KeyPackage pair survived the restart: a second group can add him.
    const second = await alice2.createGroup();
    await alice2.add(second, "bob");
    expect(await bob2.acceptWelcomes()).toEqual([second]);
    const bob3 = await ApqMember.restore(server.url, bobStore);
    expect(bob3.groupIds().sort()).toEqual([groupId, second].sort());
  });

  it("forgets a group it was removed from", async () => {
    const carolStore = new MemoryClientStore();
    const dave = await ApqMember.register(server.url, "dave");
    const carol = await ApqMember.register(server.url, "carol", {}, undefined, carolStore);
    await carol.publishKeyPackages(1);
    const groupId = await dave.createGroup();
    await dave.add(groupId, "carol");
    await carol.acceptWelcomes();
    expect(await carolStore.keys("group/")).toEqual([`group/${groupId}`]);
    await dave.remove(groupId, "carol");
    await carol.sync(groupId);
    expect(carol.isMember(groupId)).toBe(false);
    expect(await carolStore.keys("group/")).toEqual([]);
  });

  it("a message in the group log that cannot be opened is refused and does not stop the receiver", async () => {
    const erin = await ApqMember.register(server.url, "erin");
    const frank = await ApqMember.register(server.url, "frank");
    await frank.publishKeyPackages(1);
    const groupId = await erin.createGroup();
    await erin.add(groupId, "frank");
    await frank.acceptWelcomes();
    await erin.send(groupId, "once");
    // A hostile member posts a tampered copy: the service only sees a PrivateMessage of the
    // current epoch and stores it; its AEAD tag is wrong.
    const { messages } = await erin.service.readMessages(groupId, 0);
    const tampered = messages.at(-1)!.message.slice();
    tampered[tampered.length - 1]! ^= 1;
    await erin.service.postMessage(groupId, tampered);
    await erin.send(groupId, "after the copy");
    const got = await frank.sync(groupId);
    expect(got.map((m) => m.text)).toEqual(["once", "after the copy"]);
    expect(frank.stats.rejected).toBe(1);
    expect(frank.rejected[0]).toMatchObject({ groupId, sender: erin.service.clientId });
    expect(frank.rejected[0]!.reason).toMatch(/^(validation|crypto): /);
  });

  it("a Welcome that cannot be joined is refused, deleted, and does not stop the others", async () => {
    const gina = await ApqMember.register(server.url, "gina");
    const hal = await ApqMember.register(server.url, "hal");
    await hal.publishKeyPackages(2);
    const first = await gina.createGroup();
    // Gina's first add carries a tampered Welcome (its last byte flipped): the service only sees
    // the KeyPackage references and stores it for Hal.
    const { pair } = await gina.service.claimKeyPackage(utf8("hal"));
    const s = gina.session(first);
    const pending = await s.fullCommit({ add: [s.decodeKeyPackagePair(pair)] });
    const welcome = pending.welcome!.slice();
    welcome[welcome.length - 1]! ^= 1;
    await gina.service.postMessage(first, pending.message, { welcome });
    await pending.merge();
    // A second group with a good Welcome.
    const second = await gina.createGroup();
    await gina.add(second, "hal");
    expect(await hal.acceptWelcomes()).toEqual([second]);
    expect(hal.rejected).toHaveLength(1);
    expect(hal.rejected[0]).toMatchObject({ groupId: first });
    expect(hal.rejected[0]!.reason).toMatch(/^(codec|validation|crypto): /);
    expect(await hal.service.welcomes()).toEqual([]);
  });

  it("refuses a store without a member, and corrupted records with a CodecError", async () => {
    await expect(ApqMember.restore(server.url, new MemoryClientStore())).rejects.toThrow(
      /no member is saved/,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of [decodeMemberRecord, decodeGroupRecord]) {
          try {
            decode(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(CodecError);
          }
        }
      }),
    );
    const rec = encodeGroupRecord({ cursor: 7, session: new Uint8Array([1, 2, 3]) });
    expect(decodeGroupRecord(rec)).toEqual({ cursor: 7, session: new Uint8Array([1, 2, 3]) });
    const truncated = rec.subarray(0, rec.length - 1);
    expect(() => decodeGroupRecord(truncated)).toThrow(CodecError);
    const newer = rec.slice();
    newer[5] = 2; // version 2
    expect(() => decodeGroupRecord(newer)).toThrow(/version 2 is not supported/);
  });
});

describe("ServiceClient.postMessage retries", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let storage: SqlStorage;
  let server: TestServer;

  beforeAll(async () => {
    dir = await tempDir("hpqmls-client-retry-");
    storage = await openPgliteStorage(dir.path);
    server = await listen({ storage });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await server.close();
    await storage.close();
    await dir.remove();
  });

  it("a 503 and a lost answer are retried with the same bytes, and the message is stored once", async () => {
    const alice = await ApqMember.register(server.url, "retry-alice");
    const groupId = await alice.createGroup();
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, "fetch");
    // First: the service is unavailable for now.
    spy.mockImplementationOnce(async () =>
      Response.json(
        { error: { code: "database_unavailable", message: "try later" } },
        { status: 503, headers: { "retry-after": "0" } },
      ),
    );
    // Then: the request gets through but its answer is lost.
    spy.mockImplementationOnce(async (input, init) => {
      await realFetch(input, init);
      throw new TypeError("fetch failed");
    });
    const bytes = await alice.session(groupId).encrypt(utf8("exactly once"));
    const r = await alice.service.postMessage(groupId, bytes);
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
    const { messages } = await alice.service.readMessages(groupId, 0);
    const stored = messages.filter((m) => toHex(m.message) === toHex(bytes));
    expect(stored.map((m) => m.seq)).toEqual([r.seq]);
  });

  it("a commit whose every answer was lost is found in the log and merged, not forked from", async () => {
    const carol = await ApqMember.register(server.url, "retry-carol");
    const dan = await ApqMember.register(server.url, "retry-dan");
    await dan.publishKeyPackages(1);
    const groupId = await carol.createGroup();
    await carol.add(groupId, "retry-dan");
    await dan.acceptWelcomes();
    carol.service.retry.maxDelayMs = 10;
    const realFetch = globalThis.fetch;
    // Every message POST reaches the service, and every answer is lost.
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const res = await realFetch(input, init);
      if (init?.method === "POST" && String(input).endsWith("/messages"))
        throw new TypeError("fetch failed");
      return res;
    });
    const before = carol.session(groupId).tEpoch;
    await carol.update(groupId, "partial");
    spy.mockRestore();
    expect(carol.session(groupId).tEpoch).toBe(before + 1n);
    await dan.sync(groupId);
    expect(dan.session(groupId).tEpoch).toBe(carol.session(groupId).tEpoch);
    await carol.send(groupId, "still one group");
    expect((await dan.sync(groupId)).map((m) => m.text)).toEqual(["still one group"]);
  });

  it("a commit the service stores after answering 503 is merged when it shows up in the log", async () => {
    const ida = await ApqMember.register(server.url, "late-ida");
    const jon = await ApqMember.register(server.url, "late-jon");
    await jon.publishKeyPackages(1);
    const groupId = await ida.createGroup();
    await ida.add(groupId, "late-jon");
    await jon.acceptWelcomes();
    ida.service.retry.attempts = 2;
    ida.service.retry.maxDelayMs = 10;
    const realFetch = globalThis.fetch;
    let landed: Promise<unknown> | undefined;
    // The first post reaches the service only after the client has been told 503 (a request
    // the service timed out, still finishing); the retry never reaches it.
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (init?.method === "POST" && String(input).endsWith("/messages")) {
        landed ??= new Promise((r) => setTimeout(r, 300)).then(() => realFetch(input, init));
        return Response.json(
          { error: { code: "timeout", message: "try later" } },
          { status: 503, headers: { "retry-after": "0" } },
        );
      }
      return realFetch(input, init);
    });
    const before = ida.session(groupId).tEpoch;
    await expect(ida.update(groupId, "partial")).rejects.toMatchObject({ status: 503 });
    spy.mockRestore();
    expect(ida.session(groupId).tEpoch).toBe(before);
    expect(((await landed) as Response).status).toBe(201);
    // The log now has the commit: Ida merges it instead of forking from Jon.
    await ida.sync(groupId);
    await jon.sync(groupId);
    expect(ida.session(groupId).tEpoch).toBe(before + 1n);
    expect(jon.session(groupId).tEpoch).toBe(before + 1n);
    await ida.send(groupId, "after the late commit");
    expect((await jon.sync(groupId)).map((m) => m.text)).toEqual(["after the late commit"]);
  });

  it("a refused GroupInfo after a merged commit is counted, not taken for a lost epoch", async () => {
    const erin = await ApqMember.register(server.url, "retry-erin");
    const groupId = await erin.createGroup();
    const realFetch = globalThis.fetch;
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async (input, init) =>
        init?.method === "PUT" && String(input).endsWith("/groupinfo")
          ? Response.json({ error: { code: "epoch_conflict", message: "newer" } }, { status: 409 })
          : realFetch(input, init),
      );
    const before = erin.session(groupId).tEpoch;
    await erin.update(groupId, "full");
    spy.mockRestore();
    // One commit, merged; the old loop built and posted a second one on the 409.
    expect(erin.session(groupId).tEpoch).toBe(before + 1n);
    expect(erin.stats.groupInfoFailures).toBe(1);
    const { messages } = await erin.service.readMessages(groupId, 0);
    expect(messages.filter((m) => m.kind === "full-commit")).toHaveLength(2); // create + update
  });

  it("gives up after its attempts and throws the last error", async () => {
    const bob = await ApqMember.register(server.url, "retry-bob");
    const groupId = await bob.createGroup();
    bob.service.retry.maxDelayMs = 10;
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      throw new TypeError("fetch failed");
    });
    const bytes = await bob.session(groupId).encrypt(utf8("never"));
    await expect(bob.service.postMessage(groupId, bytes)).rejects.toThrow(TypeError);
    expect(spy).toHaveBeenCalledTimes(bob.service.retry.attempts);
    spy.mockRestore();
  });
});
