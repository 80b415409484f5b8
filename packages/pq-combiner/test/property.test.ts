/**
 * Property: any interleaving of FULL and PARTIAL commits, adds, removes, Update proposals (plain
 * and FULL-requesting), commit races, restores from saved state and application messages keeps
 * every member's T and PQ epochs, APQInfo, epoch authenticators, exporter outputs and member
 * list equal, and every application message reaches every other member.
 *
 * Bounded: small groups (2–4 members from a pool of 6 clients), up to 12 steps per run. Set
 * APQ_PROPERTY_RUNS / APQ_PROPERTY_SEED to explore more or to replay a failure,
 * APQ_PROPERTY_DEBUG to print every step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  established,
  expectAgreement,
  type Group,
  idOf,
  PAIRS,
  type SuitePairCase,
} from "./helpers.js";

const POOL = ["p0", "p1", "p2", "p3", "p4", "p5"] as const;
const MAX_MEMBERS = 4;
const MIN_MEMBERS = 2;
const RUNS = Number(process.env.APQ_PROPERTY_RUNS ?? 10);
const SEED = process.env.APQ_PROPERTY_SEED;
const DEBUG = process.env.APQ_PROPERTY_DEBUG !== undefined;

type Action =
  | { readonly kind: "full" | "partial" | "send" | "restore"; readonly who: number }
  | { readonly kind: "add"; readonly who: number; readonly joiner: number }
  | { readonly kind: "remove"; readonly who: number; readonly target: number }
  | {
      readonly kind: "race";
      readonly who: number;
      readonly other: number;
      readonly whoFull: boolean;
      readonly otherFull: boolean;
    }
  | { readonly kind: "propose"; readonly who: number; readonly flagged: boolean }
  | {
      readonly kind: "update";
      readonly who: number;
      readonly committer: number;
      readonly flagged: boolean;
      readonly commitFull: boolean;
    };

const idx = fc.nat(15);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("full" as const), who: idx }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("partial" as const), who: idx }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("send" as const), who: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restore" as const), who: idx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("add" as const), who: idx, joiner: idx }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("remove" as const), who: idx, target: idx }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("race" as const),
      who: idx,
      other: idx,
      whoFull: fc.boolean(),
      otherFull: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("propose" as const),
      who: idx,
      flagged: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("update" as const),
      who: idx,
      committer: idx,
      flagged: fc.boolean(),
      commitFull: fc.boolean(),
    }),
  },
);

const start = (pair: SuitePairCase) => established(["p0", "p1"], pair.options);

/** Members with an Update proposal that is still pending (seen by everyone else). */
function proposers(g: Group): Set<string> {
  const out = new Set<string>();
  for (const m of g.members)
    for (const x of g.others(m.name)) {
      const leaves = [
        ...x.session.traditional.pendingProposals(),
        ...x.session.postQuantum.pendingProposals(),
      ].map((p) => p.sender);
      const own = [m.session.traditional.ownLeafIndex, m.session.postQuantum.ownLeafIndex];
      if (leaves.some((l) => l !== undefined && own.includes(l))) out.add(m.name);
    }
  return out;
}

/** Runs one action; returns a short description of what was done (or skipped). */
async function step(g: Group, a: Action): Promise<string> {
  const names = g.members.map((m) => m.name).sort();
  const pick = (n: number, from: readonly string[] = names) => from[n % from.length]!;
  const who = pick(a.who);
  const others = names.filter((n) => n !== who);
  switch (a.kind) {
    case "full":
      await g.full(who);
      return `${who} FULL`;
    case "partial":
      // A FULL request (flagged Update) can only be satisfied by a FULL commit.
      if (g.member(who).session.pendingFullRequests().length > 0) {
        await expect(g.member(who).session.partialCommit()).rejects.toThrow(/FULL commit/);
        return `${who} PARTIAL refused (FULL requested)`;
      }
      await g.partial(who);
      return `${who} PARTIAL`;
    case "send":
      // mls-core sends no application data while proposals are pending
      if (g.member(who).session.traditional.pendingProposals().length > 0) return "send deferred";
      await g.send(who);
      return `${who} sends`;
    case "restore":
      await g.restore(who);
      await expectAgreement(g.members);
      return `${who} restored`;
    case "add": {
      const outside = POOL.filter((n) => !names.includes(n));
      if (names.length >= MAX_MEMBERS || outside.length === 0) return "add skipped";
      const joiner = pick(a.joiner, outside);
      await g.add(who, [joiner]);
      return `${who} adds ${joiner}`;
    }
    case "remove": {
      if (names.length <= MIN_MEMBERS) return "remove skipped";
      const target = pick(a.target, others);
      // a pending Update of the removed member is left out of the commit (RFC 9420 §12.2)
      await g.remove(who, [target]);
      return `${who} removes ${target}`;
    }
    case "race": {
      const other = pick(a.other, others);
      const s1 = g.member(who).session;
      const s2 = g.member(other).session;
      const requested = s1.pendingFullRequests().length > 0;
      const c1 = a.whoFull || requested ? await s1.fullCommit() : await s1.partialCommit();
      const c2 = a.otherFull || requested ? await s2.fullCommit() : await s2.partialCommit();
      await g.deliver(who, c1);
      c2.discard();
      await expectAgreement(g.members);
      return `${who} ${c1.kind} beats ${other} ${c2.kind}`;
    }
    case "propose": {
      // several pending Updates of one member are fine: a commit takes the latest (§12.2)
      const proposal = await g.member(who).session.proposeUpdate({ full: a.flagged });
      for (const m of g.others(who))
        expect(await m.session.process(proposal)).toEqual({
          kind: "proposal",
          full: a.flagged,
          sender: idOf(who),
        });
      return `${who} proposes an Update${a.flagged ? " (FULL wanted)" : ""}, left pending`;
    }
    case "update": {
      const committer = pick(a.committer, others);
      const s = g.member(who).session;
      const proposal = await s.proposeUpdate({ full: a.flagged });
      for (const m of g.others(who)) {
        const r = await m.session.process(proposal);
        expect(r).toEqual({ kind: "proposal", full: a.flagged, sender: idOf(who) });
      }
      const requested = g.member(committer).session.pendingFullRequests().length > 0;
      if (a.flagged || a.commitFull || requested) await g.full(committer);
      else await g.partial(committer);
      return `${who} proposes an Update${a.flagged ? " (FULL wanted)" : ""}, ${committer} commits`;
    }
  }
}

describe("random interleavings keep every member in agreement", () => {
  it("FULL/PARTIAL commits, adds, removes, Updates, races, restores and messages", async () => {
    const log: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PAIRS),
        fc.array(actionArb, { minLength: 1, maxLength: 12 }),
        async (pair, actions) => {
          log.length = 0;
          const g = await start(pair);
          for (const a of actions) {
            log.push(await step(g, a));
            if (DEBUG) process.stderr.write(`${JSON.stringify(a)} → ${log[log.length - 1]}\n`);
          }
          // a FULL commit by a member without a pending Update commits what is pending; then
          // everyone can still talk to everyone
          const pending = proposers(g);
          const committer = g.members.find((m) => !pending.has(m.name)) ?? g.members[0]!;
          await g.full(committer.name);
          await g.chat();
          for (const [, receivers] of g.sent) expect(receivers).toBeGreaterThan(0);
          await expectAgreement(g.members);
        },
      ),
      {
        numRuns: RUNS,
        ...(SEED === undefined ? {} : { seed: Number(SEED) }),
        reporter: (out) => {
          if (out.failed)
            throw new Error(
              `${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}\nlast run's steps:\n  ${log.join("\n  ")}`,
            );
        },
      },
    );
  }, 240_000);
});
