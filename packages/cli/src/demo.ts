import { ApqMember } from "@hpqmls/client";
import { type Args, intFlag, stringFlag } from "./args.js";
import { startEmbedded } from "./embedded.js";

/**
 * `hpqmls demo [--server <url>] [--clients N]`: N simulated clients run a scripted conversation
 * through the delivery service — create, adds, FULL and PARTIAL updates, messages both ways, a
 * removal — and print progress and a summary. Exits non-zero if any step fails.
 */
export async function demo(args: Args, out: (line: string) => void): Promise<number> {
  const n = intFlag(args, "clients", 3, 2, 50);
  const given = stringFlag(args, "server");
  const embedded = given === undefined ? await startEmbedded() : undefined;
  const url = given ?? embedded!.url;
  const started = performance.now();
  let step = 0;
  // Two messages per client, so that PARTIAL updates come due (every 2 messages) for any N ≥ 2.
  const rounds = 2 * n;
  const total = 4 + 2 * (n - 1) + rounds + 2;
  const progress = (what: string) => {
    step++;
    out(`[${String(step).padStart(2)}/${total}] ${what}`);
  };
  try {
    out(`hpqmls demo: ${n} clients against ${url}${embedded ? " (embedded server)" : ""}`);
    const names = Array.from({ length: n }, (_, i) => `client-${i + 1}`);
    const members: ApqMember[] = [];
    for (const name of names) members.push(await ApqMember.register(url, name));
    progress(`registered ${n} clients`);
    for (const m of members.slice(1)) await m.publishKeyPackages(2);
    progress("published KeyPackage pairs");
    const owner = members[0]!;
    const policy = {
      full: { everyCommits: 4, everySeconds: 3600 },
      partial: { everyMessages: 2, everySeconds: 600 },
    };
    const groupId = await owner.createGroup(policy);
    progress(`${owner.name} created group ${groupId.slice(0, 12)}… (first FULL commit)`);
    for (const m of members.slice(1)) {
      await owner.add(groupId, m.name);
      progress(`${owner.name} added ${m.name} (FULL commit)`);
      const joined = await m.acceptWelcomes();
      if (!joined.includes(groupId)) throw new Error(`${m.name} found no Welcome for the group`);
      for (const x of members) if (x !== m && x.isMember(groupId)) await x.sync(groupId);
      await m.followSchedule(groupId); // a joiner's first commit is FULL
      for (const x of members) if (x.isMember(groupId)) await x.sync(groupId);
      progress(`${m.name} joined and made its first FULL commit`);
    }
    progress("policy: FULL every 4 commits, PARTIAL every 2 messages");
    for (let round = 0; round < rounds; round++) {
      const sender = members[round % n]!;
      await sender.sync(groupId);
      await sender.send(groupId, `message ${round + 1} from ${sender.name}`);
      for (const x of members) if (x !== sender) await x.sync(groupId);
      progress(`${sender.name} sent message ${round + 1} (updates per schedule)`);
    }
    const leaving = members[n - 1]!;
    await owner.sync(groupId);
    await owner.remove(groupId, leaving.name);
    for (const x of members) if (x !== owner) await x.sync(groupId);
    if (leaving.isMember(groupId)) throw new Error(`${leaving.name} still believes it is a member`);
    progress(`${owner.name} removed ${leaving.name} (FULL commit)`);
    const remaining = members.filter((m) => m.isMember(groupId));
    const epochs = new Set(
      remaining.map((m) => `${m.session(groupId).tEpoch}/${m.session(groupId).pqEpoch}`),
    );
    if (epochs.size !== 1)
      throw new Error(`members disagree on the epochs: ${[...epochs].join(", ")}`);
    const expected = rounds * (n - 1); // every message reaches every other member (all sent before the removal)
    const received = members.reduce((a, m) => a + m.inbox.length, 0);
    progress(`all ${remaining.length} remaining members agree on epochs ${[...epochs][0]} (T/PQ)`);
    const stats = members.reduce(
      (a, m) => ({
        full: a.full + m.stats.fullCommits,
        partial: a.partial + m.stats.partialCommits,
        bytes: a.bytes + m.stats.bytesSent,
        conflicts: a.conflicts + m.stats.conflicts,
      }),
      { full: 0, partial: 0, bytes: 0, conflicts: 0 },
    );
    out("");
    out("summary");
    out(`  members at the end     ${remaining.length} of ${n}`);
    out(`  epochs (T / PQ)        ${[...epochs][0]}`);
    out(`  FULL commits           ${stats.full}`);
    out(`  PARTIAL commits        ${stats.partial}`);
    out(`  messages received      ${received} (at least ${expected} expected)`);
    out(`  bytes sent             ${stats.bytes}`);
    out(`  epoch conflicts        ${stats.conflicts}`);
    out(`  time                   ${((performance.now() - started) / 1000).toFixed(2)} s`);
    if (received < expected) throw new Error("some application messages were not delivered");
    return 0;
  } catch (e) {
    out(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await embedded?.close();
  }
}
