/**
 * The PQ-overhead benchmark (default subcommand; `hpqmls bench`): what APQ-MLS costs over a
 * traditional MLS group and over a post-quantum one, at N members.
 *
 * Configurations (the `config` field of each row):
 *   t-only        MLS with suite 0x0001 (X25519, AES-128-GCM, SHA-256, Ed25519)
 *   pq-only       MLS with 0xF00A (ML-KEM-768, AES-256-GCM, SHA-384, ML-DSA-65) and with 0xF006
 *                 (ML-KEM-768, AES-256-GCM, SHA-384, Ed25519)
 *   apq-partial   APQ-MLS PARTIAL commit (T group only), for the pair 0x0001+0xF00A in mode 1
 *                 and 0x0001+0xF006 in mode 0
 *   apq-full      APQ-MLS FULL commit (both groups, APQ PSK), same pairs; also the session-wide
 *                 operations (Welcome for one add, join, key-package pair, application
 *                 messages, per-member state)
 *   apq-r<r>      one FULL commit every r commits, PARTIAL ones in between (derived from the
 *                 two rows above): r ∈ {1, 5, 20, 100}
 * and ts-mls's T-only rows (its PQ suites need @hpke/ml-kem; if that is missing, the report says
 * so). All groups are sparse trees (fixtures/apq.ts says why).
 */

import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  encodeBytes,
  generateKeyPackage,
  getCipherSuite,
  type KeyPackageBundle,
  type MLSMessage,
  MlsGroup,
  mlsMessageCodec,
} from "@hpqmls/mls-core";
import { ApqSession } from "@hpqmls/pq-combiner";
import * as ts from "ts-mls";
import type { BenchArgs } from "./args.js";
import { budgetFor, findRow, out, toRow } from "./common.js";
import { ApqFixture, DEFAULT_PAIR, MODE0_PAIR, type PairSpec, pairLabel } from "./fixtures/apq.js";
import {
  buildMlsFixture,
  type HpqSide,
  hpqKeyPackage,
  keyPackageBytes,
  nativeTsSide,
  signer,
  type TsSide,
} from "./fixtures/mls.js";
import {
  matchTsSuite,
  type TsImpl,
  type TsSuiteMatch,
  tryTsImpl,
  tsCommit,
  tsJoin,
  tsKeyPackage,
} from "./fixtures/tsmls.js";
import {
  APP_PAYLOAD,
  type GroupOp,
  hpqGroupOps,
  type OpContext,
  type OpResult,
  tsGroupOps,
  tsKeyPackageOp,
} from "./groupOps.js";
import { isoDay, machineInfo, machineSlug } from "./machine.js";
import { Progress } from "./progress.js";
import { fmtRatio } from "./report/markdown.js";
import { buildPqReport, type PqResult, writePqReport } from "./report/pq.js";
import { hexSuite, type Impl, type Row } from "./rows.js";
import { measure } from "./stats.js";
import type { Target } from "./targets.js";

/** bench/results, wherever the process runs from. */
const RESULTS_DIR =
  relative(process.cwd(), fileURLToPath(new URL("../results", import.meta.url))) || ".";

export const PQ_SIZES = [2, 8, 32, 128, 512, 1024];
export const PQ_QUICK_MAX = 128;
export const AMORTISE_R = [1, 5, 20, 100];
const T_SUITE = 0x0001;
const PQ_SUITES = [0xf00a, 0xf006];
const PAIRS: readonly PairSpec[] = [DEFAULT_PAIR, MODE0_PAIR];

/** Operations of the single-group configurations (plus welcome and join, timed here). */
const PLAIN_OPS: readonly GroupOp[] = [
  "commitCreate",
  "commitProcess",
  "appEncrypt",
  "appDecrypt",
  "stateSave",
];
const STEPS_PLAIN = PLAIN_OPS.length + 2;
const STEPS_APQ = 4 + 6;

const wire = (m: MLSMessage) => encodeBytes(mlsMessageCodec, m);

/** Renames `stateSave` to the PQ report's `state` (bytes = per-member state). */
const renamed = (r: OpResult): OpResult => (r.op === "stateSave" ? { ...r, op: "state" } : r);

export async function runPq(args: BenchArgs): Promise<number> {
  const machine = machineInfo();
  const sizes = args.sizes ?? (args.quick ? PQ_SIZES.filter((n) => n <= PQ_QUICK_MAX) : PQ_SIZES);
  const budgetMs = budgetFor(args, 150, 600);
  const notes: string[] = [];
  const tsMaxN = args.tsMlsMaxN ?? 1024;

  // ts-mls: suite 1 for T-only; the nearest ts-mls suites of the PQ suites, if they load here.
  let tsT: TsImpl | undefined;
  const tsPq = new Map<number, { impl: TsImpl; match: TsSuiteMatch }>();
  if (!args.noTsMls) {
    const r = await tryTsImpl("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
    if ("impl" in r) tsT = r.impl;
    else notes.push(`ts-mls suite 1 could not be loaded: ${r.error}`);
    for (const id of PQ_SUITES) {
      const name = getCipherSuite(id).name;
      const match = matchTsSuite(name);
      if (match === undefined) {
        notes.push(
          `ts-mls has no suite with the KEM of ${hexSuite(id)} (${name}): no ts-mls PQ-only row.`,
        );
        continue;
      }
      const l = await tryTsImpl(match.name);
      if ("impl" in l) tsPq.set(id, { impl: l.impl, match });
      else
        notes.push(
          `ts-mls lacks PQ suites here: its ${match.match} match for ${hexSuite(id)} (${name}) is ${match.name} (${match.id}), which fails to load: ${l.error} No ts-mls PQ-only rows.`,
        );
    }
  }

  const withTsT = (n: number) => tsT !== undefined && n <= tsMaxN;
  const withTsPq = (id: number, n: number) => tsPq.has(id) && n <= tsMaxN;
  let total = 4 + PAIRS.length + tsPq.size;
  for (const n of sizes) {
    total += 1 + STEPS_PLAIN * (withTsT(n) ? 2 : 1);
    for (const id of PQ_SUITES) total += 1 + STEPS_PLAIN * (withTsPq(id, n) ? 2 : 1);
    total += PAIRS.length * (1 + STEPS_APQ);
  }
  const progress = new Progress(total, "pq");
  const ctx: OpContext = { budgetMs, progress };
  const rows: Row[] = [];
  const add = (
    impl: Impl,
    suite: number | string,
    n: number,
    config: string,
    r: OpResult,
    extra: Record<string, unknown> = {},
  ) => rows.push(toRow({ impl, suite, n, tree: "sparse" }, r, { config, ...extra }));
  const pairExtra = (p: PairSpec) => ({ tSuite: p.t, pqSuite: p.pq, mode: p.mode });

  // Key packages (independent of N).
  progress.phase("key packages");
  for (const id of [T_SUITE, ...PQ_SUITES]) {
    progress.step(`${hexSuite(id)} key package`);
    const suite = getCipherSuite(id);
    const s = await signer(suite, "kp");
    const m = await measure(() => generateKeyPackage({ suite, ...s }), { budgetMs });
    add("hpqmls", id, 0, id === T_SUITE ? "t-only" : "pq-only", {
      op: "keyPackage",
      m,
      bytes: keyPackageBytes(m.last).length,
    });
    progress.tick();
  }
  if (tsT !== undefined)
    add("ts-mls", T_SUITE, 0, "t-only", await tsKeyPackageOp(tsT, ctx), { tsSuite: 1 });
  progress.tick();
  for (const [id, { impl, match }] of tsPq) {
    add("ts-mls", id, 0, "pq-only", await tsKeyPackageOp(impl, ctx), { tsSuite: match.id });
    progress.tick();
  }
  const fixtures: ApqFixture[] = [];
  for (const p of PAIRS) {
    progress.step(`${pairLabel(p)} key-package pair`);
    const f = await ApqFixture.create(p);
    fixtures.push(f);
    const client = (await f.newMember("kp")).client;
    const m = await measure(() => ApqSession.keyPackagePair(client, f.options), { budgetMs });
    add(
      "hpqmls",
      pairLabel(p),
      0,
      "apq-full",
      {
        op: "keyPackage",
        m,
        bytes: m.last.message.length,
      },
      pairExtra(p),
    );
    progress.tick();
  }

  for (const n of sizes) {
    // T-only, with ts-mls beside it.
    progress.phase(`N=${n} t-only`);
    progress.step("building the group");
    const tFix = await buildMlsFixture({
      suite: getCipherSuite(T_SUITE),
      n,
      tree: "sparse",
      ...(withTsT(n) && tsT !== undefined ? { ts: tsT } : {}),
    });
    progress.tick();
    for (const r of await plainOps(tFix.hpq, ctx)) add("hpqmls", T_SUITE, n, "t-only", r);
    if (tFix.ts !== undefined)
      for (const r of await tsPlainOps(tFix.ts, ctx))
        add("ts-mls", T_SUITE, n, "t-only", r, { tsSuite: 1 });

    // PQ-only.
    for (const id of PQ_SUITES) {
      progress.phase(`N=${n} pq-only ${hexSuite(id)}`);
      progress.step("building the group");
      const f = await buildMlsFixture({ suite: getCipherSuite(id), n, tree: "sparse" });
      progress.tick();
      for (const r of await plainOps(f.hpq, ctx)) add("hpqmls", id, n, "pq-only", r);
      const tp = tsPq.get(id);
      if (tp !== undefined && withTsPq(id, n)) {
        progress.step("building the ts-mls group");
        const side = await nativeTsSide(tp.impl, n, "sparse");
        for (const r of await tsPlainOps(side, ctx))
          add("ts-mls", id, n, "pq-only", r, { tsSuite: tp.match.id });
      }
    }

    // APQ-MLS.
    for (const f of fixtures) {
      const label = pairLabel(f.spec);
      progress.phase(`N=${n} apq ${label}`);
      progress.step(`adding members (${f.size} → ${n})`);
      await f.growTo(n, () => progress.step(`key-package pairs, ${f.size} → ${n}`));
      progress.tick();
      const r = await apqOps(f, ctx);
      for (const x of r.partial) add("hpqmls", label, n, "apq-partial", x, pairExtra(f.spec));
      for (const x of r.full) add("hpqmls", label, n, "apq-full", x, pairExtra(f.spec));
    }
  }
  progress.finish();

  rows.push(...amortisedRows(rows, sizes));
  const targets = pqTargets(rows, sizes);
  const machineName = args.machine ?? machineSlug(machine);
  const result: PqResult = {
    bench: "pq",
    version: 1,
    quick: args.quick,
    machine,
    machineName,
    sizes: [...sizes],
    r: AMORTISE_R,
    budgetMs,
    tree: "sparse",
    notes: [
      ...notes,
      "Groups are sparse trees (only the committer's path set, as after one Add-all commit): APQ sessions cannot be built by mls-core's synthetic builder, so their members are added by real FULL commits (bench/src/fixtures/apq.ts).",
    ],
    targets,
    rows,
  };
  const stem =
    args.json?.replace(/\.json$/, "") ??
    `${args.out ?? RESULTS_DIR}/${isoDay(machine.date)}-${machineName}`;
  const report = buildPqReport(result, { stem });
  out(report.markdown);
  const written = writePqReport(result, report, stem);
  out(`wrote ${written.join(", ")}`);
  return 0;
}

/** The single-group operations of the PQ report, hpqmls. */
async function plainOps(side: HpqSide, ctx: OpContext): Promise<OpResult[]> {
  const results = (await hpqGroupOps(side, PLAIN_OPS, ctx)).map(renamed);
  const { committer, suite } = side;
  const joiner: KeyPackageBundle = await hpqKeyPackage(suite, "late-joiner");
  ctx.progress?.step("hpqmls welcome");
  const w = await measure(
    async () => (await committer.commit({ add: [joiner.keyPackage] })).welcome!,
    { budgetMs: ctx.budgetMs },
  );
  const welcome = w.last;
  results.push({ op: "welcome", m: w, bytes: wire(welcome).length });
  ctx.progress?.tick();
  ctx.progress?.step("hpqmls join");
  const j = await measure(() => MlsGroup.join({ suite, welcome, keyPackage: joiner }), {
    budgetMs: ctx.budgetMs,
  });
  results.push({ op: "join", m: j, bytes: null });
  ctx.progress?.tick();
  return results;
}

/** The same for ts-mls. */
async function tsPlainOps(side: TsSide, ctx: OpContext): Promise<OpResult[]> {
  const results = (await tsGroupOps(side, PLAIN_OPS, ctx)).map(renamed);
  const { impl } = side;
  const joiner = await tsKeyPackage(impl, "late-joiner");
  const proposal: ts.Proposal = { proposalType: "add", add: { keyPackage: joiner.publicPackage } };
  ctx.progress?.step("ts-mls welcome");
  const w = await measure(async () => (await tsCommit(impl, side.committer, [proposal])).welcome!, {
    budgetMs: ctx.budgetMs,
  });
  const welcome = w.last;
  const bytes = ts.encodeMlsMessage({ welcome, wireformat: "mls_welcome", version: "mls10" });
  results.push({ op: "welcome", m: w, bytes: bytes.length });
  ctx.progress?.tick();
  ctx.progress?.step("ts-mls join");
  const j = await measure(() => tsJoin(impl, welcome, joiner), { budgetMs: ctx.budgetMs });
  results.push({ op: "join", m: j, bytes: null });
  ctx.progress?.tick();
  return results;
}

/** The APQ session's operations: PARTIAL and FULL commits, and the session-wide ones. */
async function apqOps(
  f: ApqFixture,
  ctx: OpContext,
): Promise<{ partial: OpResult[]; full: OpResult[] }> {
  const { creator, receiver, options } = f;
  const o = { budgetMs: ctx.budgetMs };
  const step = (s: string) => ctx.progress?.step(s);
  const tick = () => ctx.progress?.tick();
  // Processing applies the commit, so every sample starts from a restored receiver (untimed).
  const processing = async (message: Uint8Array) => {
    const blob = receiver.serialize();
    let r: ApqSession | undefined;
    return measure(
      async () => {
        const x = await r!.process(message);
        if (x.kind !== "commit") throw new Error("expected a commit");
      },
      {
        ...o,
        setup: () => {
          r = ApqSession.deserialize(blob, options);
        },
      },
    );
  };
  const commitCreate = (kind: "full" | "partial") =>
    measure(async () => {
      const p = kind === "full" ? await creator.fullCommit() : await creator.partialCommit();
      p.discard();
      return p.message;
    }, o);

  const partial: OpResult[] = [];
  const full: OpResult[] = [];
  step("PARTIAL commitCreate");
  const pc = await commitCreate("partial");
  partial.push({ op: "commitCreate", m: pc, bytes: pc.last.length });
  tick();
  step("PARTIAL commitProcess");
  partial.push({ op: "commitProcess", m: await processing(pc.last), bytes: pc.last.length });
  tick();
  step("FULL commitCreate");
  const fc = await commitCreate("full");
  full.push({ op: "commitCreate", m: fc, bytes: fc.last.length });
  tick();
  step("FULL commitProcess");
  full.push({ op: "commitProcess", m: await processing(fc.last), bytes: fc.last.length });
  tick();

  step("welcome (one add)");
  const joiner = await f.newMember("late-joiner");
  const pair = creator.decodeKeyPackagePair(joiner.keys.message);
  const w = await measure(async () => {
    const p = await creator.fullCommit({ add: [pair] });
    p.discard();
    return p.welcome!;
  }, o);
  full.push({ op: "welcome", m: w, bytes: w.last.length });
  tick();
  step("join");
  const welcome = w.last;
  const j = await measure(
    () => ApqSession.join(welcome, { t: joiner.keys.t, pq: joiner.keys.pq }, options),
    o,
  );
  full.push({ op: "join", m: j, bytes: null });
  tick();

  step("appEncrypt");
  const queue: Uint8Array[] = [];
  const e = await measure(async () => {
    const b = await creator.encrypt(APP_PAYLOAD);
    if (queue.length < 20_000) queue.push(b);
    return b;
  }, o);
  full.push({ op: "appEncrypt", m: e, bytes: e.last.length });
  tick();
  step("appDecrypt");
  while (queue.length < 50) queue.push(await creator.encrypt(APP_PAYLOAD));
  let i = 0;
  const d = await measure(
    async () => {
      const x = await receiver.process(queue[i++]!);
      if (x.kind !== "application") throw new Error("expected application data");
    },
    { ...o, maxReps: queue.length },
  );
  full.push({ op: "appDecrypt", m: d, bytes: queue[0]!.length });
  tick();
  step("state");
  const s = await measure(() => receiver.serialize(), o);
  full.push({ op: "state", m: s, bytes: s.last.length });
  tick();
  step("stateRestore");
  const blob = s.last;
  const sr = await measure(() => ApqSession.deserialize(blob, options), o);
  full.push({ op: "stateRestore", m: sr, bytes: blob.length });
  tick();
  return { partial, full };
}

/**
 * FULL every r commits, PARTIAL in between: per commit, (FULL + (r − 1) · PARTIAL) / r, for time
 * and bytes, with ratios to T-only and to PQ-only (the pair's PQ suite).
 */
export function amortisedRows(rows: readonly Row[], sizes: readonly number[]): Row[] {
  const outRows: Row[] = [];
  for (const p of PAIRS) {
    const label = pairLabel(p);
    for (const n of sizes)
      for (const op of ["commitCreate", "commitProcess"])
        for (const r of AMORTISE_R) {
          const full = findRow(rows, { config: "apq-full", suite: label, n, op });
          const part = findRow(rows, { config: "apq-partial", suite: label, n, op });
          const t = findRow(rows, { impl: "hpqmls", config: "t-only", n, op });
          const pq = findRow(rows, { impl: "hpqmls", config: "pq-only", suite: p.pq, n, op });
          if (full?.medianMs == null || part?.medianMs == null) continue;
          const ms = (full.medianMs + (r - 1) * part.medianMs) / r;
          const bytes =
            full.bytes === null || part.bytes === null
              ? null
              : (full.bytes + (r - 1) * part.bytes) / r;
          const ratio = (a: number | null, b: number | null | undefined) =>
            a === null || b == null || b === 0 ? null : a / b;
          outRows.push({
            impl: "hpqmls",
            suite: label,
            n,
            tree: "sparse",
            op,
            medianMs: ms,
            bytes,
            config: `apq-r${r}`,
            r,
            tSuite: p.t,
            pqSuite: p.pq,
            mode: p.mode,
            derived: true,
            ratioToPartial: ratio(ms, part.medianMs),
            ratioToTOnly: ratio(ms, t?.medianMs),
            ratioToPqOnly: ratio(ms, pq?.medianMs),
            bytesRatioToTOnly: ratio(bytes, t?.bytes),
            bytesRatioToPqOnly: ratio(bytes, pq?.bytes),
          });
        }
  }
  return outRows;
}

/** Worst case over N of a ratio, as "1.04× (N=32)". */
function worst(
  sizes: readonly number[],
  ratioAt: (n: number) => number | null,
  limit: number,
): { measured: string; pass: boolean | null } {
  let worstN: number | undefined;
  let worstV = -1;
  const parts: string[] = [];
  for (const n of sizes) {
    const v = ratioAt(n);
    if (v === null) continue;
    parts.push(`${n}: ${fmtRatio(v)}`);
    if (v > worstV) {
      worstV = v;
      worstN = n;
    }
  }
  if (worstN === undefined) return { measured: "not measured", pass: null };
  return {
    measured: `max ${fmtRatio(worstV)} at N=${worstN} (N ${parts.join(", ")})`,
    pass: worstV <= limit,
  };
}

export function pqTargets(rows: readonly Row[], sizes: readonly number[]): Target[] {
  const ms = (q: Record<string, unknown>) => findRow(rows, q)?.medianMs ?? null;
  const by = (q: Record<string, unknown>) => findRow(rows, q)?.bytes ?? null;
  const targets: Target[] = [];
  for (const p of PAIRS) {
    const label = pairLabel(p);
    const name = `${label} mode ${p.mode}`;
    const tOnly = (n: number) => ms({ impl: "hpqmls", config: "t-only", n, op: "commitCreate" });
    const pqOnly = (n: number) =>
      ms({ impl: "hpqmls", config: "pq-only", suite: p.pq, n, op: "commitCreate" });
    const apq = (config: string, n: number) => ms({ config, suite: label, n, op: "commitCreate" });
    const div = (a: number | null, b: number | null) => (a === null || b === null ? null : a / b);
    targets.push({
      id: `partial-vs-t-${label}`,
      text: `${name}: PARTIAL commit ≤ 1.1× T-only commit`,
      ...worst(sizes, (n) => div(apq("apq-partial", n), tOnly(n)), 1.1),
    });
    targets.push({
      id: `full-vs-t-plus-pq-${label}`,
      text: `${name}: FULL commit ≤ 1.1× (T-only + PQ-only ${hexSuite(p.pq)})`,
      ...worst(
        sizes,
        (n) => {
          const t = tOnly(n);
          const q = pqOnly(n);
          return div(apq("apq-full", n), t === null || q === null ? null : t + q);
        },
        1.1,
      ),
    });
    targets.push({
      id: `r20-time-${label}`,
      text: `${name}: FULL every 20 commits, amortised time ≤ 1.2× PARTIAL`,
      ...worst(sizes, (n) => div(apq("apq-r20", n), apq("apq-partial", n)), 1.2),
    });
    targets.push({
      id: `r20-bytes-${label}`,
      text: `${name}: FULL every 20 commits, amortised bytes ≤ 1.5× T-only`,
      ...worst(
        sizes,
        (n) =>
          div(
            by({ config: "apq-r20", suite: label, n, op: "commitCreate" }),
            by({ impl: "hpqmls", config: "t-only", n, op: "commitCreate" }),
          ),
        1.5,
      ),
    });
  }
  return targets;
}
