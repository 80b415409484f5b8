import { ApqMember, EpochConflictError, type StoredMessage } from "@hpqmls/client";
import type { SqlStorage } from "@hpqmls/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Backend,
  listen,
  pgliteBackend,
  postgresBackend,
  postgresSkipReason,
  type TestServer,
} from "./helpers.js";

/**
 * K = 4 clients race commits on one epoch: exactly one is accepted (201), the others get 409;
 * each loser processes the winner and retries; in the end every member has received every
 * message exactly once. Over PostgreSQL the clients are spread over two server instances
 * sharing the database, and a stream on one instance sees what the other accepted.
 */

const K = 4;
const MESSAGES_EACH = 4;

const setups: [string, () => Promise<Backend>, number, string | undefined][] = [
  ["one instance over PGlite", pgliteBackend, 1, undefined],
  ["two instances over PostgreSQL", postgresBackend, 2, postgresSkipReason()],
];

for (const [title, make, instances, skip] of setups) {
  describe.skipIf(skip !== undefined)(`racing commits: ${title}`, () => {
    let backend: Backend;
    const storages: SqlStorage[] = [];
    const servers: TestServer[] = [];
    const members: ApqMember[] = [];
    let groupId = "";

    beforeAll(async () => {
      backend = await make();
      for (let i = 0; i < instances; i++) {
        const storage = await backend.open();
        storages.push(storage);
        servers.push(
          await listen({ storage, streamTimings: { pollMs: 60_000, heartbeatMs: 60_000 } }),
        );
      }
      for (let i = 0; i < K; i++)
        members.push(await ApqMember.register(servers[i % instances]!.url, `member-${i}`));
      for (const m of members.slice(1)) await m.publishKeyPackages(1);
      // A PARTIAL commit every 3 messages: commits keep racing application messages below.
      groupId = await members[0]!.createGroup({ partial: { everyMessages: 3 } });
      for (const m of members.slice(1)) {
        await members[0]!.add(groupId, m.name);
        expect(await m.acceptWelcomes()).toEqual([groupId]);
        await m.update(groupId, "full"); // a joiner's first commit is FULL
      }
      for (const m of members) await m.sync(groupId);
    });
    afterAll(async () => {
      for (const s of servers) await s.close();
      for (const s of storages) await s.close();
      await backend?.dispose();
    });

    it("accepts exactly one of K commits for one epoch; the losers recover", async () => {
      const epoch = members[0]!.session(groupId).tEpoch;
      for (const m of members) expect(m.session(groupId).tEpoch).toBe(epoch);
      // A stream on the last instance, from now on (no polling: notifications only).
      const streamed: StoredMessage[] = [];
      const stop = new AbortController();
      const watcher = members[K - 1]!;
      const start = (await watcher.service.readMessages(groupId, 0, 1000)).messages.length;
      const streaming = watcher.service.stream(
        groupId,
        start,
        (m) => void streamed.push(m),
        stop.signal,
      );

      const pending = await Promise.all(members.map((m) => m.session(groupId).partialCommit()));
      const results = await Promise.allSettled(
        members.map((m, i) => m.service.postMessage(groupId, pending[i]!.message)),
      );
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results)
        if (r.status === "rejected") {
          expect(r.reason).toBeInstanceOf(EpochConflictError);
          expect(r.reason.body.error).toMatchObject({
            code: "epoch_conflict",
            currentTEpoch: Number(epoch) + 1,
          });
        }
      const w = winners[0]!;
      await pending[w]!.merge();
      await members[w]!.service.putGroupInfo(
        groupId,
        await members[w]!.session(groupId).groupInfoPair(),
      );
      pending.forEach((p, i) => {
        if (i !== w) p.discard();
      });
      const partialsAfterRace = (await storages[0]!.readMessages(groupId, 0, 1000)).filter(
        (m) => m.kind === "partial-commit",
      ).length;
      expect(partialsAfterRace).toBe(1);

      // The losers retry concurrently (they race each other again and catch up on 409).
      await Promise.all(
        members.map((m, i) => (i === w ? Promise.resolve() : m.update(groupId, "partial"))),
      );
      // Everyone talks at once.
      await Promise.all(
        members.map(async (m) => {
          for (let j = 0; j < MESSAGES_EACH; j++) await m.send(groupId, `${m.name}: ${j}`);
        }),
      );
      for (const m of members) await m.sync(groupId);

      const all = await storages[0]!.readMessages(groupId, 0, 10_000);
      expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i + 1));
      expect(all.filter((m) => m.kind === "application")).toHaveLength(K * MESSAGES_EACH);
      expect(all.filter((m) => m.kind === "partial-commit").length).toBeGreaterThanOrEqual(K);
      const epochs = members.map((m) => m.session(groupId).tEpoch);
      expect(new Set(epochs).size).toBe(1);
      for (const m of members) {
        const texts = m.inbox.map((r) => r.text);
        expect(new Set(texts).size).toBe(texts.length); // no duplicates
        expect(texts).toHaveLength((K - 1) * MESSAGES_EACH); // nothing lost
        for (const other of members)
          if (other !== m)
            expect(texts.filter((t) => t.startsWith(`${other.name}:`))).toEqual(
              Array.from({ length: MESSAGES_EACH }, (_, j) => `${other.name}: ${j}`),
            );
      }

      const deadline = Date.now() + 15_000;
      while (streamed.length < all.length - start && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      stop.abort();
      await streaming;
      expect(streamed.map((m) => m.seq)).toEqual(all.slice(start).map((m) => m.seq));
    });
  });
}
