/**
 * `npm run bench -- core`: the MLS core of hpqmls against ts-mls, suite 0x0001, at N members,
 * with sparse trees (one member's path set: a group just created by one Add-all commit) and dense
 * ones (every member has committed once). See groupOps.ts for what each operation measures and
 * fixtures/mls.ts for how the groups are built.
 */
import { encodeBytes, getCipherSuite, MlsGroup, mlsMessageCodec } from "@hpqmls/mls-core";
import { buildSyntheticGroup } from "@hpqmls/mls-core/testing";
import type { BenchArgs } from "./args.js";
import { budgetFor, findRow, out, toRow, writeJson } from "./common.js";
import { buildMlsFixture, hpqKeyPackage } from "./fixtures/mls.js";
import { type TsImpl, tryTsImpl } from "./fixtures/tsmls.js";
import { GROUP_OPS, hpqGroupOps, hpqKeyPackageOp, tsGroupOps, tsKeyPackageOp } from "./groupOps.js";
import { machineInfo, machineLine, runRecord } from "./machine.js";
import { Progress } from "./progress.js";
import { fmtBytes, fmtMs, fmtRatio, mdTable } from "./report/markdown.js";
import type { Row, Tree } from "./rows.js";
import { measure } from "./stats.js";
import { type Target, targetsTable } from "./targets.js";

const SUITE = 0x0001;
const TS_SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;
export const CORE_SIZES = [2, 32, 256, 1024, 4096];
export const CORE_QUICK_SIZES = [2, 32, 256];
const DEMO_N = 10_000;

export async function runCore(args: BenchArgs): Promise<number> {
  const machine = machineInfo();
  const sizes = args.sizes ?? (args.quick ? CORE_QUICK_SIZES : CORE_SIZES);
  const trees: readonly Tree[] = args.trees ?? ["sparse", "dense"];
  const budgetMs = budgetFor(args, 150, 600);
  const suite = getCipherSuite(SUITE);
  const notes: string[] = [];
  let tsImpl: TsImpl | undefined;
  if (!args.noTsMls) {
    const r = await tryTsImpl(TS_SUITE);
    if ("impl" in r) tsImpl = r.impl;
    else notes.push(`ts-mls suite 1 unavailable: ${r.error}`);
  }
  const tsMaxN = (tree: Tree) => args.tsMlsMaxN ?? (tree === "sparse" ? 1024 : 4096);
  const withTs = (n: number, tree: Tree) => tsImpl !== undefined && n <= tsMaxN(tree);
  const perGroup = (n: number, tree: Tree) => 1 + GROUP_OPS.length * (withTs(n, tree) ? 2 : 1);
  const total =
    2 +
    sizes.reduce((a, n) => a + trees.reduce((b, t) => b + perGroup(n, t), 0), 0) +
    2 +
    (args.noDemo ? 0 : 4);
  const progress = new Progress(total, "core");
  const ctx = { budgetMs, progress };
  const run = runRecord("core", machine, args.quick);
  const rows: Row[] = [];

  progress.phase("key packages");
  const kp = await hpqKeyPackageOp(suite, ctx);
  rows.push(toRow({ impl: "hpqmls", suite: SUITE, n: 0, tree: "sparse" }, kp, { run }));
  progress.tick();
  if (tsImpl !== undefined) {
    const tkp = await tsKeyPackageOp(tsImpl, ctx);
    rows.push(toRow({ impl: "ts-mls", suite: SUITE, n: 0, tree: "sparse" }, tkp, { run }));
  }
  progress.tick();

  for (const n of sizes)
    for (const tree of trees) {
      progress.phase(`N=${n} ${tree}`);
      progress.step("building the group");
      const includeTs = withTs(n, tree);
      if (tsImpl !== undefined && !includeTs)
        notes.push(
          `ts-mls skipped at N=${n} (${tree}): joining takes minutes there; raise --ts-mls-max-n to include it`,
        );
      const f = await buildMlsFixture({
        suite,
        n,
        tree,
        ...(includeTs && tsImpl !== undefined ? { ts: tsImpl } : {}),
      });
      progress.tick();
      for (const r of await hpqGroupOps(f.hpq, GROUP_OPS, ctx))
        rows.push(toRow({ impl: "hpqmls", suite: SUITE, n, tree }, r, { run }));
      if (f.ts !== undefined)
        for (const r of await tsGroupOps(f.ts, GROUP_OPS, ctx))
          rows.push(toRow({ impl: "ts-mls", suite: SUITE, n, tree: f.ts.tree }, r, { run }));
    }

  // Dense scaling: commit time at 4096 against 16 members.
  progress.phase("dense scaling probe");
  for (const n of [16, 4096]) {
    if (findRow(rows, { impl: "hpqmls", n, tree: "dense", op: "commitCreate" }) === undefined) {
      progress.step(`building a dense group of ${n}`);
      const { creator } = await buildSyntheticGroup({ suite, size: n, tree: "dense" });
      progress.step(`commitCreate at ${n}`);
      const m = await measure(
        async () => encodeBytes(mlsMessageCodec, (await creator.commit({})).commit),
        { budgetMs },
      );
      rows.push(
        toRow(
          { impl: "hpqmls", suite: SUITE, n, tree: "dense" },
          { op: "commitCreate", m, bytes: m.last.length },
          { run, probe: "dense-scaling" },
        ),
      );
    }
    progress.tick();
  }

  let demoLine: string | undefined;
  if (!args.noDemo) {
    progress.phase(`${DEMO_N} members`);
    const demo = await runDemo(DEMO_N, budgetMs, progress);
    for (const r of demo.rows) rows.push({ ...r, run });
    demoLine = demo.line;
  }
  progress.finish();

  printCore(rows, { machine: machineLine(machine), quick: args.quick, budgetMs, notes, demoLine });
  const targets = coreTargets(rows);
  out("## Targets (reported, not asserted)");
  out();
  out(targetsTable(targets));
  out();
  if (args.json !== undefined) {
    writeJson(args.json, rows);
    out(`wrote ${rows.length} rows to ${args.json}`);
  }
  return 0;
}

/** 10 000 members: build (synthetic, sparse), one member joins by Welcome, commit, process. */
async function runDemo(
  n: number,
  budgetMs: number,
  progress: Progress,
): Promise<{ rows: Row[]; line: string }> {
  const suite = getCipherSuite(SUITE);
  const base = { impl: "hpqmls" as const, suite: SUITE, n, tree: "sparse" as const, demo: true };
  progress.step("synthetic build");
  let t = performance.now();
  const { creator } = await buildSyntheticGroup({
    suite,
    size: n,
    tree: "sparse",
    blankLeaves: [1],
  });
  const buildMs = performance.now() - t;
  progress.tick();
  const bob = await hpqKeyPackage(suite, "demo-joiner");
  const add = await creator.commit({ add: [bob.keyPackage] });
  await creator.merge(add.staged);
  const welcomeBytes = encodeBytes(mlsMessageCodec, add.welcome!).length;
  progress.step("join");
  t = performance.now();
  const receiver = await MlsGroup.join({ suite, welcome: add.welcome!, keyPackage: bob });
  const joinMs = performance.now() - t;
  progress.tick();
  progress.step("commitCreate");
  const create = await measure(
    async () => encodeBytes(mlsMessageCodec, (await creator.commit({})).commit),
    { budgetMs, minSamples: 1 },
  );
  progress.tick();
  progress.step("commitProcess");
  const commit = create.last;
  const proc = await measure(
    async () => {
      if ((await receiver.process(commit)).kind !== "commit") throw new Error("expected a commit");
    },
    { budgetMs, minSamples: 1 },
  );
  progress.tick();
  const rows: Row[] = [
    { ...base, op: "build", medianMs: buildMs, bytes: null, samples: [buildMs], reps: 1 },
    { ...base, op: "join", medianMs: joinMs, bytes: welcomeBytes, samples: [joinMs], reps: 1 },
    toRow(base, { op: "commitCreate", m: create, bytes: commit.length }, { demo: true }),
    toRow(base, { op: "commitProcess", m: proc, bytes: commit.length }, { demo: true }),
  ];
  const line =
    `${n.toLocaleString("en-US")} members (sparse tree): synthetic build ${fmtMs(buildMs)} ms; ` +
    `join from a ${fmtBytes(welcomeBytes)} Welcome ${fmtMs(joinMs)} ms; ` +
    `commit ${fmtMs(create.medianMs)} ms (${fmtBytes(commit.length)}); ` +
    `process ${fmtMs(proc.medianMs)} ms`;
  return { rows, line };
}

function printCore(
  rows: readonly Row[],
  o: {
    machine: string;
    quick: boolean;
    budgetMs: number;
    notes: readonly string[];
    demoLine: string | undefined;
  },
): void {
  out(`# hpqmls core benchmark: suite 0x0001 (X25519, AES-128-GCM, SHA-256, Ed25519)`);
  out();
  out(`${o.machine}`);
  out();
  out(
    `Median ms after warm-up (${o.budgetMs} ms of samples per operation${o.quick ? ", --quick" : ""}); ` +
      "bytes = size of what the operation produced. ts-mls ÷ hpqmls > 1 means hpqmls is faster.",
  );
  for (const n of o.notes) out(`\n> ${n}`);
  out();
  const trees = [...new Set(rows.filter((r) => r.n > 0 && r.demo !== true).map((r) => r.tree))];
  for (const tree of trees) {
    const ns = [
      ...new Set(
        rows
          .filter((r) => r.tree === tree && r.n > 0 && r.demo !== true && r.probe === undefined)
          .map((r) => r.n),
      ),
    ].sort((a, b) => a - b);
    const table: string[][] = [];
    for (const op of GROUP_OPS)
      for (const n of ns) {
        const h = findRow(rows, { impl: "hpqmls", n, tree, op });
        const t = findRow(rows, { impl: "ts-mls", n, tree, op });
        if (h === undefined && t === undefined) continue;
        table.push([
          op,
          String(n),
          fmtMs(h?.medianMs),
          fmtMs(t?.medianMs),
          h?.medianMs && t?.medianMs ? fmtRatio(t.medianMs / h.medianMs) : "–",
          fmtBytes(h?.bytes),
          fmtBytes(t?.bytes),
        ]);
      }
    out(`## ${tree} tree`);
    out();
    out(
      mdTable(
        ["op", "N", "hpqmls ms", "ts-mls ms", "ts-mls ÷ hpqmls", "hpqmls bytes", "ts-mls bytes"],
        table,
        ["l", "r", "r", "r", "r", "r", "r"],
      ),
    );
    out();
  }
  const kpH = findRow(rows, { impl: "hpqmls", n: 0, op: "keyPackage" });
  const kpT = findRow(rows, { impl: "ts-mls", n: 0, op: "keyPackage" });
  out("## Key packages");
  out();
  out(
    mdTable(
      ["impl", "ms", "bytes"],
      [kpH, kpT]
        .filter((r): r is Row => r !== undefined)
        .map((r) => [r.impl, fmtMs(r.medianMs), fmtBytes(r.bytes)]),
    ),
  );
  out();
  if (o.demoLine !== undefined) {
    out("## 10 000 members");
    out();
    out(o.demoLine);
    out();
  }
}

export function coreTargets(rows: readonly Row[]): Target[] {
  const targets: Target[] = [];
  const trees = [...new Set(rows.filter((r) => r.n === 32).map((r) => r.tree))];
  for (const tree of trees.length > 0 ? trees : (["sparse", "dense"] as const)) {
    const c = findRow(rows, { impl: "hpqmls", n: 32, tree, op: "commitCreate" })?.medianMs ?? null;
    const p = findRow(rows, { impl: "hpqmls", n: 32, tree, op: "commitProcess" })?.medianMs ?? null;
    const tc = findRow(rows, { impl: "ts-mls", n: 32, tree, op: "commitCreate" })?.medianMs ?? null;
    const tp =
      findRow(rows, { impl: "ts-mls", n: 32, tree, op: "commitProcess" })?.medianMs ?? null;
    targets.push(
      {
        id: `create-32-${tree}`,
        text: `N=32 (${tree}): commit create ≤ 4.7 ms`,
        measured: c === null ? "not measured" : `${fmtMs(c)} ms`,
        pass: c === null ? null : c <= 4.7,
      },
      {
        id: `process-32-${tree}`,
        text: `N=32 (${tree}): commit process ≤ 1.7 ms`,
        measured: p === null ? "not measured" : `${fmtMs(p)} ms`,
        pass: p === null ? null : p <= 1.7,
      },
      {
        id: `vs-ts-mls-32-${tree}`,
        text: `N=32 (${tree}): create and process ≥ 6× faster than ts-mls`,
        measured:
          c === null || p === null || tc === null || tp === null
            ? "not measured"
            : `create ${fmtRatio(tc / c)}, process ${fmtRatio(tp / p)}`,
        pass:
          c === null || p === null || tc === null || tp === null
            ? null
            : tc / c >= 6 && tp / p >= 6,
      },
    );
  }
  const d16 = findRow(rows, { impl: "hpqmls", n: 16, tree: "dense", op: "commitCreate" });
  const d4096 = findRow(rows, { impl: "hpqmls", n: 4096, tree: "dense", op: "commitCreate" });
  const ok = d16?.medianMs != null && d4096?.medianMs != null;
  targets.push({
    id: "dense-scaling",
    text: "dense commit create at N=4096 ≤ 4× N=16",
    measured: ok
      ? `${fmtMs(d4096.medianMs)} ms vs ${fmtMs(d16.medianMs)} ms = ${fmtRatio(d4096.medianMs! / d16.medianMs!)}`
      : "not measured",
    pass: ok ? d4096.medianMs! <= 4 * d16.medianMs! : null,
  });
  return targets;
}
