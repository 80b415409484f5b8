/**
 * The update policy: its schema (defaults, JSON round trip, refusals that say what to change),
 * the engine as a pure function over hand-built snapshots (each rule, priority order, the
 * inactive-member report, determinism), the session's snapshot/decide wiring, and "auto" mode
 * (a session performing the due FULL/PARTIAL commit before sending), all on a fake clock.
 */
import { UsageError, utf8 } from "@hpqmls/mls-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ApqSession,
  type ApqSessionOptions,
  DEFAULT_POLICY,
  decide,
  type PendingCommit,
  type PendingWork,
  type Policy,
  PolicyError,
  type PolicyInput,
  type PolicyRule,
  PolicySchema,
  parsePolicy,
  type SessionSnapshot,
} from "../src/index.js";
import {
  clientFor,
  DEFAULT_PAIR,
  established,
  expectAgreement,
  Group,
  idOf,
  text,
} from "./helpers.js";

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The parse error of an invalid policy, as a PolicyError. */
function policyError(input: unknown): PolicyError {
  try {
    parsePolicy(input);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  expect.unreachable(`policy ${JSON.stringify(input)} was accepted`);
  throw new Error("unreachable");
}

// ------------------------------------------------------------------ schema

describe("policy schema", () => {
  it("defaults: FULL every 20 commits or 24 h, PARTIAL every 50 messages or 1 h, 14 days", () => {
    const expected: Policy = {
      full: { everyCommits: 20, everySeconds: 24 * HOUR },
      partial: { everyMessages: 50, everySeconds: HOUR },
      inactivitySeconds: 14 * DAY,
    };
    expect(DEFAULT_POLICY).toEqual(expected);
    expect(parsePolicy({})).toEqual(expected);
    expect(parsePolicy(undefined)).toEqual(expected);
    expect(parsePolicy(null)).toEqual(expected);
  });

  it("fills in what a partial policy leaves out", () => {
    const p = parsePolicy({ full: { everyCommits: 5 }, partial: { everySeconds: null } });
    expect(p.full).toEqual({ everyCommits: 5, everySeconds: DEFAULT_POLICY.full.everySeconds });
    expect(p.partial).toEqual({
      everyMessages: DEFAULT_POLICY.partial.everyMessages,
      everySeconds: null,
    });
    expect(p.inactivitySeconds).toBe(DEFAULT_POLICY.inactivitySeconds);
  });

  it("round-trips through JSON", () => {
    const inputs: PolicyInput[] = [
      {},
      {
        full: { everyCommits: 1, everySeconds: 60 },
        partial: { everySeconds: 30 },
        inactivitySeconds: 61,
      },
      { full: { everyCommits: null }, partial: { everyMessages: null, everySeconds: null } },
      { partial: { everyMessages: 1, everySeconds: 30 }, inactivitySeconds: 30 * DAY },
    ];
    for (const input of inputs) {
      const p = parsePolicy(input);
      const json = JSON.stringify(p);
      expect(parsePolicy(JSON.parse(json))).toEqual(p);
      expect(JSON.stringify(parsePolicy(JSON.parse(json)))).toBe(json);
    }
  });

  it("round-trips any valid policy (property)", () => {
    const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
    fc.assert(
      fc.property(
        optional(fc.integer({ min: 1, max: 1000 })),
        fc.integer({ min: 1, max: 10 * DAY }),
        optional(fc.integer({ min: 1, max: 1000 })),
        optional(fc.integer({ min: 1, max: 10 * DAY })),
        fc.integer({ min: 1, max: 10 * DAY }),
        (everyCommits, fullSeconds, everyMessages, partialSeconds, extra) => {
          const input = {
            full: { everyCommits, everySeconds: fullSeconds },
            partial: {
              everyMessages,
              everySeconds: partialSeconds === null ? null : Math.min(partialSeconds, fullSeconds),
            },
            inactivitySeconds: fullSeconds + extra,
          };
          const p = parsePolicy(input);
          expect(p).toEqual(input);
          expect(parsePolicy(JSON.parse(JSON.stringify(p)))).toEqual(p);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a FULL cadence not shorter than the inactivity window, saying what to change", () => {
    for (const [full, inactivity] of [
      [DAY, DAY],
      [2 * DAY, DAY],
    ] as const) {
      const e = policyError({ full: { everySeconds: full }, inactivitySeconds: inactivity });
      expect(e.issues.map((i) => i.path)).toEqual(["full.everySeconds"]);
      expect(e.message).toContain(`full.everySeconds (${full})`);
      expect(e.message).toContain(`inactivitySeconds (${inactivity})`);
      expect(e.message).toMatch(/lower it or raise the inactivity window/);
    }
    // lowering only the inactivity window below the default FULL cadence is refused too
    const e = policyError({ inactivitySeconds: HOUR });
    expect(e.message).toMatch(/full\.everySeconds .* must be shorter than inactivitySeconds/);
    // one second shorter is fine
    expect(parsePolicy({ full: { everySeconds: DAY - 1 }, inactivitySeconds: DAY }).full).toEqual({
      everyCommits: 20,
      everySeconds: DAY - 1,
    });
  });

  it("refuses a policy without a FULL interval (the inactivity rule needs one)", () => {
    const e = policyError({ full: { everySeconds: null } });
    expect(e.issues[0]!.path).toBe("full.everySeconds");
    expect(e.message).toMatch(/FULL commit interval is required/);
  });

  it("refuses a PARTIAL interval longer than the FULL one (it would never fire)", () => {
    const e = policyError({ full: { everySeconds: HOUR }, partial: { everySeconds: 2 * HOUR } });
    expect(e.issues.map((i) => i.path)).toEqual(["partial.everySeconds"]);
    expect(e.message).toMatch(/would never fire/);
  });

  it("refuses malformed values and unknown keys, reporting every problem with its path", () => {
    for (const [input, path] of [
      [{ full: { everyCommits: 0 } }, "full.everyCommits"],
      [{ full: { everyCommits: -3 } }, "full.everyCommits"],
      [{ partial: { everyMessages: 2.5 } }, "partial.everyMessages"],
      [{ inactivitySeconds: "14d" }, "inactivitySeconds"],
      [{ full: { everyCommits: 5, cadence: 3 } }, "full"],
      [{ fullEvery: 3 }, ""],
    ] as const) {
      const e = policyError(input);
      expect(e.issues.map((i) => i.path)).toContain(path);
      expect(e.message).toMatch(/^invalid update policy: /);
      expect(e.name).toBe("PolicyError");
    }
    const many = policyError({ full: { everyCommits: 0 }, partial: { everyMessages: -1 } });
    expect(many.issues.map((i) => i.path).sort()).toEqual([
      "full.everyCommits",
      "partial.everyMessages",
    ]);
    expect(PolicySchema.safeParse({ full: { everyCommits: 0 } }).success).toBe(false);
  });
});

// ------------------------------------------------------------------ engine

const T0 = Date.UTC(2026, 0, 1);

function snap(over: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    established: true,
    mustCommitFull: false,
    commitsSinceFull: 0,
    messagesSinceUpdate: 0,
    lastFullAt: T0,
    lastUpdateAt: T0,
    lastActive: { [idOf("a")]: T0, [idOf("b")]: T0 },
    ...over,
  };
}

const P: Policy = parsePolicy({
  full: { everyCommits: 10, everySeconds: 1000 },
  partial: { everyMessages: 5, everySeconds: 100 },
  inactivitySeconds: 5000,
});

describe("policy engine: each rule", () => {
  it("nothing is due right after an update", () => {
    const d = decide(P, snap(), T0);
    expect(d).toEqual({ update: "none", rule: "none", reason: expect.any(String), inactive: [] });
  });

  it("establish: a session without its first FULL commit", () => {
    expect(decide(P, snap({ established: false }), T0)).toMatchObject({
      update: "FULL",
      rule: "establish",
    });
  });

  it("membership-change: pending adds or removes", () => {
    for (const pending of [{ adds: 1 }, { removes: 2 }, { adds: 1, removes: 1 }])
      expect(decide(P, snap(), T0, pending)).toMatchObject({
        update: "FULL",
        rule: "membership-change",
      });
    expect(decide(P, snap(), T0, { adds: 0, removes: 0 }).rule).toBe("none");
  });

  it("joiner-first-full: a new member's first commit", () => {
    expect(decide(P, snap({ mustCommitFull: true }), T0)).toMatchObject({
      update: "FULL",
      rule: "joiner-first-full",
    });
  });

  it("full-requested: a pending flagged Update, naming who asked", () => {
    const d = decide(P, snap(), T0, { fullRequests: [idOf("b")] });
    expect(d).toMatchObject({ update: "FULL", rule: "full-requested" });
    expect(d.reason).toContain(idOf("b"));
    expect(decide(P, snap(), T0, { fullRequests: [] }).rule).toBe("none");
  });

  it("full-every-commits: at most N-1 PARTIAL commits between two FULL ones", () => {
    const n = P.full.everyCommits!;
    expect(decide(P, snap({ commitsSinceFull: n - 2 }), T0).rule).toBe("none");
    expect(decide(P, snap({ commitsSinceFull: n - 1 }), T0)).toMatchObject({
      update: "FULL",
      rule: "full-every-commits",
    });
    expect(decide(P, snap({ commitsSinceFull: n + 5 }), T0).rule).toBe("full-every-commits");
    // N = 1: every commit is FULL
    const every = parsePolicy({ ...P, full: { ...P.full, everyCommits: 1 } });
    expect(decide(every, snap({ commitsSinceFull: 0 }), T0).rule).toBe("full-every-commits");
  });

  it("full-every-seconds: the FULL interval elapsed", () => {
    const ms = P.full.everySeconds! * 1000;
    // the PARTIAL rules are kept quiet by a recent update
    const s = snap({ lastFullAt: T0 - ms, lastUpdateAt: T0 });
    expect(decide(P, s, T0)).toMatchObject({ update: "FULL", rule: "full-every-seconds" });
    expect(decide(P, snap({ lastFullAt: T0 - ms + 1 }), T0).rule).toBe("none");
  });

  it("partial-every-messages: M application messages since the last commit", () => {
    const m = P.partial.everyMessages!;
    expect(decide(P, snap({ messagesSinceUpdate: m - 1 }), T0).rule).toBe("none");
    expect(decide(P, snap({ messagesSinceUpdate: m }), T0)).toMatchObject({
      update: "PARTIAL",
      rule: "partial-every-messages",
    });
  });

  it("partial-every-seconds: the PARTIAL interval elapsed", () => {
    const ms = P.partial.everySeconds! * 1000;
    expect(decide(P, snap({ lastUpdateAt: T0 - ms }), T0)).toMatchObject({
      update: "PARTIAL",
      rule: "partial-every-seconds",
    });
    expect(decide(P, snap({ lastUpdateAt: T0 - ms + 1 }), T0).rule).toBe("none");
  });

  it("null disables a rule", () => {
    const off = parsePolicy({
      full: { everyCommits: null, everySeconds: 1000 },
      partial: { everyMessages: null, everySeconds: null },
      inactivitySeconds: 5000,
    });
    const s = snap({ commitsSinceFull: 1e6, messagesSinceUpdate: 1e6, lastUpdateAt: T0 - 999e3 });
    expect(decide(off, s, T0).rule).toBe("none");
  });
});

describe("policy engine: priority, inactivity, determinism", () => {
  it("rules fire in priority order: establishing, membership, joiner, request, FULL, PARTIAL", () => {
    // Start with every condition true, then clear them one by one.
    let s = snap({
      established: false,
      mustCommitFull: true,
      commitsSinceFull: 100,
      messagesSinceUpdate: 100,
      lastFullAt: T0 - 1e7,
      lastUpdateAt: T0 - 1e7,
    });
    let pending: PendingWork = { adds: 1, removes: 1, fullRequests: [idOf("b")] };
    const clear: [PolicyRule, () => void][] = [
      ["establish", () => (s = { ...s, established: true })],
      ["membership-change", () => (pending = { ...pending, adds: 0, removes: 0 })],
      ["joiner-first-full", () => (s = { ...s, mustCommitFull: false })],
      ["full-requested", () => (pending = { ...pending, fullRequests: [] })],
      ["full-every-commits", () => (s = { ...s, commitsSinceFull: 0 })],
      ["full-every-seconds", () => (s = { ...s, lastFullAt: T0 })],
      ["partial-every-messages", () => (s = { ...s, messagesSinceUpdate: 0 })],
      ["partial-every-seconds", () => (s = { ...s, lastUpdateAt: T0 })],
    ];
    const seen: PolicyRule[] = [];
    for (const [rule, next] of clear) {
      const d = decide(P, s, T0, pending);
      seen.push(d.rule);
      expect(d.update).toBe(rule.startsWith("partial") ? "PARTIAL" : "FULL");
      next();
    }
    expect(seen).toEqual(clear.map(([r]) => r));
    expect(decide(P, s, T0, pending).rule).toBe("none");
  });

  it("reports members silent for longer than the window, sorted, with any decision", () => {
    const window = P.inactivitySeconds * 1000;
    const lastActive = {
      [idOf("zed")]: T0 - window - 1,
      [idOf("amy")]: T0 - 10 * window,
      [idOf("bob")]: T0 - window, // exactly the window: still active
      [idOf("cid")]: T0,
    };
    const expected = [idOf("amy"), idOf("zed")].sort();
    for (const s of [
      snap({ lastActive }),
      snap({ lastActive, established: false }),
      snap({ lastActive, messagesSinceUpdate: 100 }),
    ])
      expect(decide(P, s, T0).inactive).toEqual(expected);
    expect(decide(P, snap(), T0).inactive).toEqual([]);
  });

  it("is a pure function: same inputs, same output; inputs untouched; key order irrelevant", () => {
    const lastActive = { [idOf("b")]: T0 - 1e9, [idOf("a")]: T0 - 2e9 };
    const s = Object.freeze(snap({ lastActive: Object.freeze({ ...lastActive }) }));
    const pending = Object.freeze({ fullRequests: Object.freeze([idOf("a")]) });
    const d1 = decide(P, s, T0, pending);
    const d2 = decide(P, s, T0, pending);
    expect(d2).toEqual(d1);
    const reordered = snap({
      lastActive: Object.fromEntries(Object.entries(lastActive).reverse()),
    });
    expect(decide(P, reordered, T0, pending)).toEqual(d1);
    expect(s.lastActive).toEqual(lastActive);
  });

  it("urgency never decreases as time passes or counters grow (property)", () => {
    const rank = { none: 0, PARTIAL: 1, FULL: 2 } as const;
    const snapshotArb = fc.record({
      established: fc.boolean(),
      mustCommitFull: fc.boolean(),
      commitsSinceFull: fc.nat(40),
      messagesSinceUpdate: fc.nat(100),
      lastFullAt: fc.integer({ min: T0 - 3e6, max: T0 }),
      lastUpdateAt: fc.integer({ min: T0 - 3e6, max: T0 }),
      lastActive: fc.dictionary(
        fc.constantFrom("a", "b", "c", "d"),
        fc.integer({ min: T0 - 1e7, max: T0 }),
      ),
    });
    fc.assert(
      fc.property(
        snapshotArb,
        fc.nat(2e6),
        fc.nat(5),
        fc.nat(20),
        (s: SessionSnapshot, later, moreCommits, moreMessages) => {
          const d = decide(P, s, T0);
          const grown = {
            ...s,
            commitsSinceFull: s.commitsSinceFull + moreCommits,
            messagesSinceUpdate: s.messagesSinceUpdate + moreMessages,
          };
          const e = decide(P, grown, T0 + later);
          expect(rank[e.update]).toBeGreaterThanOrEqual(rank[d.update]);
          // everyone inactive before is still inactive later
          for (const who of d.inactive) expect(e.inactive).toContain(who);
          expect(decide(P, s, T0)).toEqual(d);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ sessions

/** A settable clock shared by every member of a test. */
function fakeClock(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance: (seconds: number) => {
      t += seconds * 1000;
    },
  };
}

describe("session snapshot and decide", () => {
  it("a creator must establish; a joiner must commit FULL; then nothing until a threshold", async () => {
    const clock = fakeClock();
    const options = { ...DEFAULT_PAIR.options, now: clock.now };
    const g = await Group.create("a", options);
    expect(g.member("a").session.decide(DEFAULT_POLICY).rule).toBe("establish");
    await g.add("a", ["b"], false);
    expect(g.member("b").session.decide(DEFAULT_POLICY).rule).toBe("joiner-first-full");
    expect(g.member("a").session.decide(DEFAULT_POLICY).rule).toBe("none");
    await g.joinerFull("b");
    for (const m of g.members) {
      const s = m.session.snapshot();
      expect(s).toEqual({
        established: true,
        mustCommitFull: false,
        commitsSinceFull: 0,
        messagesSinceUpdate: 0,
        lastFullAt: clock.now(),
        lastUpdateAt: clock.now(),
        lastActive: { [idOf("a")]: clock.now(), [idOf("b")]: clock.now() },
      });
      expect(m.session.decide(DEFAULT_POLICY).rule).toBe("none");
    }
  });

  it("counts messages both ways and commits, and follows the clock", async () => {
    const clock = fakeClock();
    const options = { ...DEFAULT_PAIR.options, now: clock.now };
    const g = await Group.create("a", options);
    await g.add("a", ["b"]);
    const a = g.member("a").session;
    const policy = parsePolicy({
      full: { everyCommits: 3, everySeconds: 1000 },
      partial: { everyMessages: 4, everySeconds: 100 },
      inactivitySeconds: 5000,
    });
    await g.send("a");
    await g.send("b");
    await g.send("b");
    expect(a.snapshot().messagesSinceUpdate).toBe(3);
    expect(a.decide(policy).rule).toBe("none");
    await g.send("a");
    expect(a.decide(policy).rule).toBe("partial-every-messages");
    await g.partial("b");
    expect(a.snapshot()).toMatchObject({ messagesSinceUpdate: 0, commitsSinceFull: 1 });
    clock.advance(100);
    expect(a.decide(policy).rule).toBe("partial-every-seconds");
    await g.partial("a");
    expect(a.decide(policy).rule).toBe("full-every-commits");
    await g.full("b");
    expect(a.decide(policy).rule).toBe("none");
    clock.advance(1000);
    expect(a.decide(policy).rule).toBe("full-every-seconds");
    // decide(now) overrides the clock
    expect(a.decide(policy, clock.now() - 1000 * 1000).rule).toBe("none");
  });

  it("a flagged Update makes a FULL commit due at every member", async () => {
    const g = await established(["a", "b", "c"], DEFAULT_PAIR.options);
    const request = await g.member("c").session.proposeUpdate({ full: true });
    for (const m of g.others("c")) await m.session.process(request);
    for (const m of g.members)
      expect(m.session.decide(DEFAULT_POLICY)).toMatchObject({
        update: "FULL",
        rule: "full-requested",
      });
    await g.full("a");
    for (const m of g.members) expect(m.session.decide(DEFAULT_POLICY).rule).toBe("none");
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("a FULL request is only satisfied by a FULL commit", async () => {
    const g = await established(["a", "b", "c"], DEFAULT_PAIR.options);
    const request = await g.member("c").session.proposeUpdate({ full: true });
    for (const m of g.others("c")) await m.session.process(request);
    const p = await g
      .member("b")
      .session.partialCommit()
      .catch((e: unknown) => e);
    if (p instanceof UsageError) return; // refusing the PARTIAL commit is a fix too
    await g.deliver("b", p as PendingCommit);
    for (const m of g.members) expect(m.session.decide(DEFAULT_POLICY).rule).toBe("full-requested");
  });

  it("reports a member that neither committed nor had its leaf updated within the window", async () => {
    const clock = fakeClock();
    const options = { ...DEFAULT_PAIR.options, now: clock.now };
    const policy = parsePolicy({
      full: { everyCommits: 20, everySeconds: 50 },
      partial: { everyMessages: 50, everySeconds: 10 },
      inactivitySeconds: 100,
    });
    const g = await Group.create("a", options);
    await g.add("a", ["b", "c", "d"]);
    clock.advance(60);
    await g.full("a");
    clock.advance(30);
    await g.partial("b");
    // d's leaf is updated by a commit of its Update proposal: that counts as activity
    const u = await g.member("d").session.proposeUpdate();
    for (const m of g.others("d")) await m.session.process(u);
    await g.partial("a");
    clock.advance(60); // now T0 + 150: c was last active at T0 (its joiner commit)
    for (const m of g.members) expect(m.session.decide(policy).inactive).toEqual([idOf("c")]);
    await g.remove("a", ["c"]);
    for (const m of g.members) {
      expect(m.session.decide(policy).inactive).toEqual([]);
      expect(Object.keys(m.session.activity().lastActive).sort()).toEqual(
        ["a", "b", "d"].map(idOf).sort(),
      );
    }
  });
});

describe("auto mode", () => {
  /**
   * A group whose member `a` runs in auto mode: its commits go through `deliver`, which the test
   * controls (processing them at the other members, or refusing them).
   */
  async function autoGroup(policy: Policy) {
    const clock = fakeClock();
    const base: ApqSessionOptions = { ...DEFAULT_PAIR.options, now: clock.now };
    const delivered: ("full" | "partial")[] = [];
    const state = { accept: true };
    const g = await Group.create("a", base);
    await g.add("a", ["b", "c"]);
    const deliver = async (c: PendingCommit) => {
      if (!state.accept) return false;
      for (const m of g.others("a")) await m.session.process(c.message);
      delivered.push(c.kind);
      return true;
    };
    // a continues with the same state, now in auto mode
    const a = g.member("a");
    a.session = ApqSession.deserialize(a.session.serialize(), {
      ...base,
      auto: { policy, deliver },
    });
    /** a sends one message; the others must read it after any commit it made first. */
    const send = async (body: string) => {
      const bytes = await a.session.encrypt(utf8(body));
      for (const m of g.others("a")) {
        const r = await m.session.process(bytes);
        expect(r.kind === "application" && text(r.data)).toBe(body);
      }
    };
    return { g, a: a.session, clock, delivered, state, send };
  }

  it("the first message of a new session establishes it with a FULL commit", async () => {
    const delivered: string[] = [];
    const solo = await ApqSession.create(await clientFor("solo", DEFAULT_PAIR.options), {
      ...DEFAULT_PAIR.options,
      auto: {
        policy: DEFAULT_POLICY,
        deliver: async (c) => {
          delivered.push(c.kind);
          return true;
        },
      },
    });
    expect(solo.established).toBe(false);
    await solo.encrypt(utf8("first"));
    expect(delivered).toEqual(["full"]);
    expect(solo.established).toBe(true);
    expect(solo.apqInfo.tEpoch).toBe(1n);
  });

  it("performs PARTIAL commits by message count and a FULL one by commit count", async () => {
    const policy = parsePolicy({
      full: { everyCommits: 3, everySeconds: 10_000 },
      partial: { everyMessages: 3, everySeconds: null },
      inactivitySeconds: 100_000,
    });
    const t = await autoGroup(policy);
    const kinds: string[] = [];
    for (let i = 1; i <= 11; i++) {
      const before = t.delivered.length;
      await t.send(`m${i}`);
      kinds.push(t.delivered.length > before ? t.delivered[t.delivered.length - 1]! : "-");
    }
    // A send that finds 3 messages since the last commit commits PARTIAL first (sends 4, 7,
    // 11). After two PARTIAL commits the next commit must be FULL (every 3rd commit), so send 8
    // commits FULL at once.
    expect(kinds).toEqual([
      "-",
      "-",
      "-",
      "partial",
      "-",
      "-",
      "partial",
      "full",
      "-",
      "-",
      "partial",
    ]);
    await expectAgreement(t.g.members);
  });

  it("follows the clock: PARTIAL after its interval, FULL after its interval", async () => {
    const policy = parsePolicy({
      full: { everyCommits: null, everySeconds: 1000 },
      partial: { everyMessages: null, everySeconds: 100 },
      inactivitySeconds: 100_000,
    });
    const t = await autoGroup(policy);
    await t.send("quiet");
    expect(t.delivered).toEqual([]);
    t.clock.advance(100);
    await t.send("an hour later");
    expect(t.delivered).toEqual(["partial"]);
    t.clock.advance(99);
    await t.send("not yet");
    expect(t.delivered).toEqual(["partial"]);
    t.clock.advance(1000);
    await t.send("a day later");
    expect(t.delivered).toEqual(["partial", "full"]);
    expect(t.a.apqInfo.tEpoch).toBe(t.a.tEpoch);
    await expectAgreement(t.g.members);
  });

  it("a FULL request received makes the next send commit FULL", async () => {
    const t = await autoGroup(DEFAULT_POLICY);
    const request = await t.g.member("b").session.proposeUpdate({ full: true });
    for (const m of t.g.others("b")) await m.session.process(request);
    await t.send("after the request");
    expect(t.delivered).toEqual(["full"]);
    await expectAgreement(t.g.members);
  });

  it("a refused commit is not merged, and nothing is sent", async () => {
    const policy = parsePolicy({
      full: { everyCommits: null, everySeconds: 1000 },
      partial: { everyMessages: 1, everySeconds: null },
      inactivitySeconds: 100_000,
    });
    const t = await autoGroup(policy);
    await t.send("one");
    t.state.accept = false;
    const before = { t: t.a.tEpoch, pq: t.a.pqEpoch };
    const e = await t.a.encrypt(utf8("two")).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/refused/);
    expect({ t: t.a.tEpoch, pq: t.a.pqEpoch }).toEqual(before);
    t.state.accept = true;
    await t.send("three");
    expect(t.delivered).toEqual(["partial"]);
    await expectAgreement(t.g.members);
  });

  it("runPolicy does nothing when nothing is due", async () => {
    const g = await established(["a", "b"], DEFAULT_PAIR.options);
    let calls = 0;
    const d = await g.member("a").session.runPolicy(DEFAULT_POLICY, async () => {
      calls++;
      return true;
    });
    expect(d.update).toBe("none");
    expect(calls).toBe(0);
  });
});
