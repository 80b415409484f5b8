import { randomBytes } from "node:crypto";
import type { MessageEvent, NewMessage, SqlStorage } from "@hpqmls/server";
import { MIGRATIONS, migrate } from "@hpqmls/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Backend, pgliteBackend, postgresBackend, postgresSkipReason } from "./helpers.js";

/**
 * The Storage contract, run over PGlite and (when DATABASE_URL_TEST is set) PostgreSQL: the same
 * SQL must give the same answers, and ordering must hold under concurrent writers.
 */

const utf8 = (s: string) => new TextEncoder().encode(s);
const NOW = 1_700_000_000_000;

const backends: [string, () => Promise<Backend>, string | undefined][] = [
  ["pglite", pgliteBackend, undefined],
  ["postgres", postgresBackend, postgresSkipReason()],
];

for (const [name, make, skip] of backends) {
  describe.skipIf(skip !== undefined)(`storage over ${name}`, () => {
    let backend: Backend;
    let s: SqlStorage;

    beforeAll(async () => {
      backend = await make();
      s = await backend.open();
    });
    afterAll(async () => {
      await s?.close();
      await backend?.dispose();
    });
    beforeEach(async () => backend.reset());

    async function client(name: string) {
      const r = await s.registerClient({
        clientId: `c-${name}`,
        identity: utf8(name),
        signatureKey: randomBytes(32),
        now: NOW,
      });
      if (!r.ok) throw new Error(r.reason);
      return r.client;
    }

    async function group(creator: Uint8Array, groupId = "g1") {
      const ok = await s.createGroup({
        groupId,
        tGroupId: utf8(groupId),
        pqGroupId: utf8(`${groupId}-pq`),
        tSuite: 1,
        pqSuite: 0xf00a,
        mode: 1,
        tEpoch: 0,
        pqEpoch: 0,
        policy: { inactivitySeconds: 100 },
        creator,
        groupInfo: { pair: utf8("gi0"), tEpoch: 0, pqEpoch: 0, leaves: [creator] },
        now: NOW,
      });
      expect(ok).toBe(true);
    }

    let bodies = 0;
    const msg = (
      c: { clientId: string; identity: Uint8Array },
      kind: NewMessage["kind"],
      tEpoch: number,
      pqEpoch: number | null,
      extra: Partial<NewMessage> = {},
    ): NewMessage => ({
      groupId: "g1",
      kind,
      tEpoch,
      pqEpoch,
      sender: c,
      // Every message its own bytes, as MLS ciphertexts are (equal bytes are one message).
      body: utf8(`${kind}@${tEpoch}#${++bodies}`),
      now: NOW + 1000,
      ...extra,
    });

    it("migrates idempotently", async () => {
      expect(await migrate(s.driver)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
      expect(await migrate(s.driver)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
      await s.ping();
    });

    it("registers clients: same key → same id, identity and key are unique", async () => {
      const key = randomBytes(32);
      const a = await s.registerClient({
        clientId: "a",
        identity: utf8("alice"),
        signatureKey: key,
        now: NOW,
      });
      expect(a).toMatchObject({ ok: true, created: true });
      const again = await s.registerClient({
        clientId: "a2",
        identity: utf8("alice"),
        signatureKey: key,
        now: NOW,
      });
      expect(again).toMatchObject({ ok: true, created: false, client: { clientId: "a" } });
      expect(
        await s.registerClient({
          clientId: "b",
          identity: utf8("alice"),
          signatureKey: randomBytes(32),
          now: NOW,
        }),
      ).toEqual({ ok: false, reason: "identity_taken" });
      expect(
        await s.registerClient({
          clientId: "c",
          identity: utf8("carol"),
          signatureKey: key,
          now: NOW,
        }),
      ).toEqual({ ok: false, reason: "key_in_use" });
      expect((await s.getClient("a"))?.identity).toEqual(utf8("alice"));
      expect(await s.getClient("nobody")).toBeUndefined();
    });

    it("refuses a nonce used twice (across storage handles)", async () => {
      const a = await client("alice");
      expect(await s.useNonce(a.clientId, "n1", NOW + 300_000, NOW)).toBe(true);
      expect(await s.useNonce(a.clientId, "n1", NOW + 300_000, NOW)).toBe(false);
      const other = await backend.open();
      try {
        expect(await other.useNonce(a.clientId, "n1", NOW + 300_000, NOW)).toBe(false);
        expect(await other.useNonce(a.clientId, "n2", NOW + 300_000, NOW)).toBe(true);
      } finally {
        await other.close();
      }
    });

    it("claims each KeyPackage pair once, even concurrently, then the last-resort pair", async () => {
      const bob = await client("bob");
      const pairs = Array.from({ length: 5 }, (_, i) => ({
        pair: utf8(`kp${i}`),
        tRef: utf8(`ref${i}`),
        lastResort: false,
      }));
      expect(await s.addKeyPackages(bob, pairs, NOW)).toBe(5);
      expect(await s.countKeyPackages(bob.clientId)).toEqual({ remaining: 5, lastResort: false });
      const claims = await Promise.all(
        Array.from({ length: 8 }, () => s.claimKeyPackage(bob.identity)),
      );
      const got = claims
        .filter((c) => c !== undefined)
        .map((c) => new TextDecoder().decode(c.pair));
      expect(got.sort()).toEqual(["kp0", "kp1", "kp2", "kp3", "kp4"]);
      expect(await s.claimKeyPackage(bob.identity)).toBeUndefined();
      await s.addKeyPackages(
        bob,
        [{ pair: utf8("lr1"), tRef: utf8("lr1"), lastResort: true }],
        NOW,
      );
      await s.addKeyPackages(
        bob,
        [{ pair: utf8("lr2"), tRef: utf8("lr2"), lastResort: true }],
        NOW,
      );
      expect(await s.countKeyPackages(bob.clientId)).toEqual({ remaining: 0, lastResort: true });
      for (let i = 0; i < 2; i++)
        expect(await s.claimKeyPackage(bob.identity)).toEqual({
          pair: utf8("lr2"),
          lastResort: true,
        });
      expect(await s.identitiesOfKeyPackageRefs([utf8("ref3"), utf8("nope")])).toEqual([
        bob.identity,
      ]);
    });

    it("accepts exactly one of many concurrent commits for an epoch, with gapless seqs", async () => {
      const a = await client("alice");
      await group(a.identity);
      const racers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          s.appendMessage(msg(a, i % 2 ? "full-commit" : "partial-commit", 0, i % 2 ? 0 : null)),
        ),
      );
      const won = racers.filter((r) => r.ok);
      expect(won).toHaveLength(1);
      for (const r of racers.filter((x) => !x.ok))
        expect(r).toMatchObject({ reason: "epoch_conflict" });
      const g = await s.getGroup("g1");
      expect(g?.lastSeq).toBe(1);
      expect(g?.tEpoch).toBe(1);
      // Application messages in the current epoch, concurrently: every one gets its own seq.
      const apps = await Promise.all(
        Array.from({ length: 10 }, () => s.appendMessage(msg(a, "application", 1, null))),
      );
      expect(apps.every((r) => r.ok)).toBe(true);
      const seqs = apps.map((r) => (r.ok ? r.message.seq : 0)).sort((x, y) => x - y);
      expect(seqs).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect((await s.readMessages("g1", 0, 100)).map((m) => m.seq)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);
      expect((await s.readMessages("g1", 5, 3)).map((m) => m.seq)).toEqual([6, 7, 8]);
      expect((await s.readMessages("g1", 0, 100, 4)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    });

    it("stores each message once: the same bytes again are the stored copy, or a refused replay", async () => {
      const a = await client("alice");
      const b = await client("bob");
      await group(a.identity);
      // Bob joins (a FULL commit with his Welcome), so that both may post in epoch 1.
      const add = await s.appendMessage(
        msg(a, "full-commit", 0, 0, { welcome: { body: utf8("w"), recipients: [b.identity] } }),
      );
      expect(add.ok).toBe(true);
      const first = msg(a, "application", 1, null);
      const r1 = await s.appendMessage(first);
      expect(r1.ok && r1.duplicate).toBe(undefined);
      // The same client retries (its first answer was lost): the stored copy, nothing new.
      const again = await Promise.all([s.appendMessage(first), s.appendMessage(first)]);
      for (const r of again)
        expect(r).toMatchObject({ ok: true, duplicate: true, message: { seq: 2 } });
      expect((await s.getGroup("g1"))?.lastSeq).toBe(2);
      // Copies posted concurrently before any is stored: one seq, the rest its duplicates.
      const fresh = msg(a, "application", 1, null);
      const race = await Promise.all(Array.from({ length: 4 }, () => s.appendMessage(fresh)));
      expect(race.filter((r) => r.ok && r.duplicate !== true)).toHaveLength(1);
      expect(new Set(race.map((r) => (r.ok ? r.message.seq : 0)))).toEqual(new Set([3]));
      expect((await s.readMessages("g1", 0, 100)).map((m) => m.seq)).toEqual([1, 2, 3]);
      // The same for a commit: copies racing for the epoch are one commit, never a 409 to the
      // client whose commit was accepted.
      const commit = msg(a, "partial-commit", 1, null);
      const commits = await Promise.all(Array.from({ length: 4 }, () => s.appendMessage(commit)));
      expect(commits.every((r) => r.ok)).toBe(true);
      expect(commits.filter((r) => r.ok && r.duplicate !== true)).toHaveLength(1);
      expect((await s.getGroup("g1"))?.tEpoch).toBe(2);
      // Another client replays the bytes: refused, naming the stored seq.
      expect(await s.appendMessage({ ...first, sender: b })).toEqual({
        ok: false,
        reason: "duplicate",
        seq: 2,
      });
    });

    it("enforces the epoch rules of each kind and keeps the policy counters", async () => {
      const a = await client("alice");
      await group(a.identity);
      // FULL needs both epochs current.
      expect(await s.appendMessage(msg(a, "full-commit", 0, 1))).toMatchObject({
        ok: false,
        reason: "epoch_conflict",
        tEpoch: 0,
        pqEpoch: 0,
      });
      expect((await s.appendMessage(msg(a, "full-commit", 0, 0))).ok).toBe(true);
      expect((await s.appendMessage(msg(a, "application", 1, null))).ok).toBe(true);
      expect((await s.appendMessage(msg(a, "application", 0, null))).ok).toBe(false);
      expect((await s.appendMessage(msg(a, "partial-commit", 1, null))).ok).toBe(true);
      expect((await s.appendMessage(msg(a, "proposal", 2, 1))).ok).toBe(true);
      expect((await s.appendMessage(msg(a, "proposal", 2, 0))).ok).toBe(false);
      const m = await s.appendMessage(msg(a, "partial-commit", 2, null));
      expect(m).toMatchObject({
        ok: true,
        message: { tEpoch: 2, pqEpoch: 1, kind: "partial-commit" },
      });
      const g = (await s.getGroup("g1"))!;
      expect(g).toMatchObject({
        tEpoch: 3,
        pqEpoch: 1,
        commitsSinceFull: 2,
        messagesSinceCommit: 0,
      });
      expect(g.lastFullAt).toBe(NOW + 1000);
      expect((await s.member("g1", a.identity))?.lastCommitAt).toBe(NOW + 1000);
    });

    it("refuses non-members and unknown groups, but accepts external joins", async () => {
      const a = await client("alice");
      const e = await client("eve");
      expect(await s.appendMessage(msg(a, "application", 0, null))).toEqual({
        ok: false,
        reason: "not_found",
      });
      await group(a.identity);
      expect(await s.appendMessage(msg(e, "application", 0, null))).toEqual({
        ok: false,
        reason: "not_member",
      });
      const j = await s.appendMessage(msg(e, "external-join", 0, 0));
      expect(j.ok).toBe(true);
      expect((await s.member("g1", e.identity))?.removedSeq).toBeNull();
      expect((await s.groupsOf(e.identity)).map((g) => g.groupId)).toEqual(["g1"]);
    });

    it("stores Welcomes for their recipients and makes them members", async () => {
      const a = await client("alice");
      const b = await client("bob");
      await group(a.identity);
      const r = await s.appendMessage(
        msg(a, "full-commit", 0, 0, { welcome: { body: utf8("w"), recipients: [b.identity] } }),
      );
      expect(r.ok).toBe(true);
      expect(await s.welcomesFor(b.identity)).toEqual([{ groupId: "g1", seq: 1, body: utf8("w") }]);
      expect(
        (await s.members("g1")).map((m) => new TextDecoder().decode(m.identity)).sort(),
      ).toEqual(["alice", "bob"]);
      expect(await s.deleteWelcome(b.identity, 1, "other")).toBe(0);
      expect(await s.deleteWelcome(b.identity, 1)).toBe(1);
      expect(await s.deleteWelcome(b.identity, 1)).toBe(0);
      expect(await s.welcomesFor(b.identity)).toEqual([]);
    });

    it("syncs membership from a current GroupInfo; removed members read up to their removal", async () => {
      const a = await client("alice");
      const b = await client("bob");
      await group(a.identity);
      await s.appendMessage(
        msg(a, "full-commit", 0, 0, { welcome: { body: utf8("w"), recipients: [b.identity] } }),
      );
      const gi = (t: number, pq: number, leaves: Uint8Array[]) => ({
        pair: utf8(`gi${t}`),
        tEpoch: t,
        pqEpoch: pq,
        leaves,
      });
      expect(
        await s.putGroupInfo("g1", a.identity, gi(1, 1, [a.identity, b.identity]), NOW),
      ).toEqual({
        ok: true,
        stored: true,
        tEpoch: 1,
        pqEpoch: 1,
      });
      expect(await s.putGroupInfo("g1", a.identity, gi(2, 1, [a.identity]), NOW)).toMatchObject({
        ok: false,
        reason: "epoch_ahead",
      });
      const removal = await s.appendMessage(msg(a, "full-commit", 1, 1));
      expect(removal.ok).toBe(true);
      // A stale GroupInfo changes nothing.
      expect(await s.putGroupInfo("g1", a.identity, gi(0, 0, [a.identity]), NOW)).toMatchObject({
        ok: true,
        stored: false,
      });
      await s.putGroupInfo("g1", a.identity, gi(2, 2, [a.identity]), NOW);
      expect((await s.member("g1", b.identity))?.removedSeq).toBe(2);
      expect((await s.members("g1")).length).toBe(1);
      expect((await s.members("g1", true)).length).toBe(2);
      expect(await s.getGroupInfo("g1")).toEqual({ pair: utf8("gi2"), tEpoch: 2, pqEpoch: 2 });
      expect(await s.putGroupInfo("g1", b.identity, gi(2, 2, [b.identity]), NOW)).toEqual({
        ok: false,
        reason: "not_member",
      });
      expect(await s.appendMessage(msg(b, "application", 2, null))).toEqual({
        ok: false,
        reason: "not_member",
      });
      // A PublicMessage Remove maps through the stored tree.
      await s.putGroupInfo("g1", a.identity, gi(2, 2, [a.identity, b.identity]), NOW);
      expect((await s.member("g1", b.identity))?.removedSeq).toBeNull();
      await s.appendMessage(msg(a, "full-commit", 2, 2, { removedLeaves: [1] }));
      expect((await s.member("g1", b.identity))?.removedSeq).toBe(3);
    });

    it("notifies subscribers of accepted messages, across storage handles", async () => {
      const a = await client("alice");
      await group(a.identity);
      const other = await backend.open();
      try {
        const seen: MessageEvent[] = [];
        const got = new Promise<void>((resolve) => {
          const off = other.subscribe((e) => {
            if (e.groupId !== "g1") return;
            seen.push(e);
            off();
            resolve();
          });
        });
        const r = await s.appendMessage(msg(a, "full-commit", 0, 0));
        expect(r.ok).toBe(true);
        if (backend.name === "postgres") {
          // Another instance learns of it through LISTEN/NOTIFY.
          await got;
          expect(seen[0]).toEqual({ groupId: "g1", seq: 1 });
        }
        const local: MessageEvent[] = [];
        const off = s.subscribe((e) => local.push(e));
        await s.appendMessage(msg(a, "application", 1, null));
        off();
        expect(local).toContainEqual({ groupId: "g1", seq: 2 });
      } finally {
        await other.close();
      }
    });

    it("reports a closed storage as unavailable", async () => {
      const other = await backend.open();
      await other.close();
      await expect(other.ping()).rejects.toMatchObject({ name: "StorageUnavailableError" });
    });
  });
}
