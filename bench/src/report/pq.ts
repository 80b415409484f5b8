/**
 * The PQ-overhead report: markdown (stdout and <stem>.md), JSON (<stem>.json: machine, options,
 * targets, notes and the rows with their raw samples) and SVG charts next to them
 * (<stem>-commit-time.svg, -process-time.svg, -commit-bytes.svg, -amortised.svg).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { MachineInfo } from "../machine.js";
import { machineLine } from "../machine.js";
import { hexSuite, type Row } from "../rows.js";
import { type Target, targetsTable } from "../targets.js";
import { fmtBytes, fmtMs, fmtRatio, mdTable } from "./markdown.js";
import { lineChart, type Series } from "./svg.js";

export interface PqResult {
  readonly bench: "pq";
  readonly version: 1;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  /** The machine part of the file names. */
  readonly machineName: string;
  readonly sizes: readonly number[];
  /** FULL every r commits. */
  readonly r: readonly number[];
  readonly budgetMs: number;
  readonly tree: "sparse" | "dense";
  readonly notes: readonly string[];
  readonly targets: readonly Target[];
  readonly rows: readonly Row[];
}

export interface PqReport {
  readonly markdown: string;
  readonly charts: readonly {
    readonly file: string;
    readonly title: string;
    readonly svg: string;
  }[];
}

/** The configurations in the order the report lists them. */
const CONFIG_ORDER = ["t-only", "pq-only", "apq-partial", "apq-full"];

interface SeriesKey {
  readonly key: string;
  readonly label: string;
  readonly impl: string;
  readonly config: string;
  readonly suite: number | string;
}

function suiteLabel(r: Row): string {
  const s = typeof r.suite === "number" ? hexSuite(r.suite) : r.suite;
  return r.mode === 0 ? `${s} mode 0` : s;
}

function seriesOf(r: Row): SeriesKey {
  const config = String(r.config ?? "");
  const label = `${r.impl === "ts-mls" ? "ts-mls " : ""}${config} ${suiteLabel(r)}`;
  return {
    key: `${r.impl}|${config}|${String(r.suite)}`,
    label,
    impl: r.impl,
    config,
    suite: r.suite,
  };
}

/** Series (impl, config, suite) present for an op, in report order. */
function seriesFor(rows: readonly Row[], op: string, configs = CONFIG_ORDER): SeriesKey[] {
  const seen = new Map<string, SeriesKey>();
  for (const r of rows)
    if (r.op === op && configs.includes(String(r.config))) {
      const s = seriesOf(r);
      if (!seen.has(s.key)) seen.set(s.key, s);
    }
  const rank = (s: SeriesKey) => configs.indexOf(s.config) * 10 + (s.impl === "ts-mls" ? 5 : 0);
  return [...seen.values()].sort((a, b) => rank(a) - rank(b));
}

function cell(rows: readonly Row[], s: SeriesKey, n: number, op: string): Row | undefined {
  return rows.find(
    (r) =>
      r.op === op && r.n === n && r.impl === s.impl && r.config === s.config && r.suite === s.suite,
  );
}

function pivot(
  rows: readonly Row[],
  sizes: readonly number[],
  op: string,
  value: (r: Row) => string,
  configs = CONFIG_ORDER,
): string {
  const series = seriesFor(rows, op, configs);
  return mdTable(
    ["configuration", ...sizes.map((n) => `N=${n}`)],
    series.map((s) => [
      s.label,
      ...sizes.map((n) => {
        const r = cell(rows, s, n, op);
        return r === undefined ? "–" : value(r);
      }),
    ]),
  );
}

function lineSeries(
  rows: readonly Row[],
  op: string,
  y: (r: Row) => number | null,
  configs: readonly string[],
): Series[] {
  return seriesFor(rows, op, [...configs]).map((s) => ({
    name: s.label,
    dashed: s.impl === "ts-mls" || s.config.startsWith("apq-r"),
    points: rows
      .filter(
        (r) =>
          r.op === op &&
          r.impl === s.impl &&
          r.config === s.config &&
          r.suite === s.suite &&
          r.n > 0,
      )
      .map((r) => ({ x: r.n, y: y(r) ?? Number.NaN })),
  }));
}

export function buildPqReport(result: PqResult, o: { stem: string }): PqReport {
  const { rows, sizes } = result;
  const base = basename(o.stem);
  const lines: string[] = [];
  const p = (s = "") => lines.push(s);
  const chartConfigs = [...CONFIG_ORDER, "apq-r20"];
  const charts = [
    {
      file: `${base}-commit-time.svg`,
      title: "Commit create time vs N",
      svg: lineChart({
        title: "Commit create: median ms vs group size",
        xLabel: "members N",
        yLabel: "ms",
        xLog: true,
        yLog: true,
        series: lineSeries(rows, "commitCreate", (r) => r.medianMs, chartConfigs),
      }),
    },
    {
      file: `${base}-process-time.svg`,
      title: "Commit process time vs N",
      svg: lineChart({
        title: "Commit process (one receiver): median ms vs group size",
        xLabel: "members N",
        yLabel: "ms",
        xLog: true,
        yLog: true,
        series: lineSeries(rows, "commitProcess", (r) => r.medianMs, chartConfigs),
      }),
    },
    {
      file: `${base}-commit-bytes.svg`,
      title: "Commit bytes vs N",
      svg: lineChart({
        title: "Commit bytes on the wire vs group size",
        xLabel: "members N",
        yLabel: "bytes",
        xLog: true,
        yLog: true,
        series: lineSeries(rows, "commitCreate", (r) => r.bytes, chartConfigs),
      }),
    },
    {
      file: `${base}-amortised.svg`,
      title: "Amortised cost vs r",
      svg: lineChart({
        title: `FULL every r commits: cost per commit ÷ T-only (N=${Math.max(...sizes)})`,
        xLabel: "r (commits per FULL commit)",
        yLabel: "× T-only",
        xLog: true,
        yLog: true,
        xTicks: [...result.r],
        refLines: [{ y: 1, label: "T-only" }],
        series: amortisedSeries(rows, Math.max(...sizes)),
      }),
    },
  ];

  const day = result.machine.date.slice(0, 10);
  p(`# PQ overhead of APQ-MLS: ${day}`);
  p();
  p(machineLine(result.machine));
  p();
  p(
    `Median after warm-up, ${result.budgetMs} ms of samples per operation${result.quick ? " (--quick)" : ""}; ` +
      `${result.tree} trees; N = ${sizes.join(", ")}. Rows and raw samples: \`${base}.json\`.`,
  );
  for (const n of result.notes) {
    p();
    p(`> ${n}`);
  }
  p();
  p("## Commit create (median ms)");
  p();
  p(
    pivot(rows, sizes, "commitCreate", (r) => fmtMs(r.medianMs), [
      ...CONFIG_ORDER,
      ...result.r.map((r) => `apq-r${r}`),
    ]),
  );
  p();
  p("## Commit process, per receiver (median ms)");
  p();
  p(
    pivot(rows, sizes, "commitProcess", (r) => fmtMs(r.medianMs), [
      ...CONFIG_ORDER,
      ...result.r.map((r) => `apq-r${r}`),
    ]),
  );
  p();
  p("## Commit bytes on the wire");
  p();
  p(
    pivot(rows, sizes, "commitCreate", (r) => fmtBytes(r.bytes), [
      ...CONFIG_ORDER,
      ...result.r.map((r) => `apq-r${r}`),
    ]),
  );
  p();
  p("## Welcome for one add (bytes; ms to make the commit and Welcome)");
  p();
  p(pivot(rows, sizes, "welcome", (r) => `${fmtBytes(r.bytes)}; ${fmtMs(r.medianMs)} ms`));
  p();
  p("## Join from that Welcome (median ms)");
  p();
  p(pivot(rows, sizes, "join", (r) => fmtMs(r.medianMs)));
  p();
  p("## Application messages: encrypt / decrypt (median ms; 100-byte payload)");
  p();
  p(
    mdTable(
      ["configuration", ...sizes.map((n) => `N=${n}`)],
      seriesFor(rows, "appEncrypt").map((s) => [
        s.label,
        ...sizes.map((n) => {
          const e = cell(rows, s, n, "appEncrypt");
          const d = cell(rows, s, n, "appDecrypt");
          return e === undefined ? "–" : `${fmtMs(e.medianMs)} / ${fmtMs(d?.medianMs)}`;
        }),
      ]),
    ),
  );
  p();
  p("## Per-member state (bytes)");
  p();
  p(pivot(rows, sizes, "state", (r) => fmtBytes(r.bytes)));
  p();
  p("## Key packages (a pair for APQ-MLS)");
  p();
  p(
    mdTable(
      ["configuration", "ms", "bytes"],
      seriesFor(rows, "keyPackage").map((s) => {
        const r = rows.find(
          (x) =>
            x.op === "keyPackage" &&
            x.impl === s.impl &&
            x.config === s.config &&
            x.suite === s.suite,
        )!;
        return [s.label, fmtMs(r.medianMs), fmtBytes(r.bytes)];
      }),
    ),
  );
  p();
  p("## FULL every r commits: cost per commit relative to T-only, PQ-only and PARTIAL");
  p();
  p(amortisedTable(rows, sizes, result.r));
  p();
  p("## Targets (reported, not asserted)");
  p();
  p(targetsTable(result.targets));
  p();
  p("## Charts");
  p();
  for (const c of charts) p(`![${c.title}](${c.file})`);
  return { markdown: `${lines.join("\n")}\n`, charts };
}

function amortisedSeries(rows: readonly Row[], n: number): Series[] {
  const pairs = [
    ...new Set(
      rows.filter((r) => String(r.config).startsWith("apq-r")).map((r) => String(r.suite)),
    ),
  ];
  const out: Series[] = [];
  for (const pair of pairs) {
    const at = rows.filter(
      (r) =>
        r.suite === pair &&
        r.n === n &&
        r.op === "commitCreate" &&
        String(r.config).startsWith("apq-r"),
    );
    const mode = at[0]?.mode === 0 ? " mode 0" : "";
    out.push(
      {
        name: `time ${pair}${mode}`,
        points: at.map((r) => ({ x: Number(r.r), y: Number(r.ratioToTOnly ?? Number.NaN) })),
      },
      {
        name: `bytes ${pair}${mode}`,
        dashed: true,
        points: at.map((r) => ({ x: Number(r.r), y: Number(r.bytesRatioToTOnly ?? Number.NaN) })),
      },
    );
  }
  return out;
}

function amortisedTable(
  rows: readonly Row[],
  sizes: readonly number[],
  rs: readonly number[],
): string {
  const pairs = [
    ...new Set(
      rows.filter((r) => String(r.config).startsWith("apq-r")).map((r) => String(r.suite)),
    ),
  ];
  const table: string[][] = [];
  for (const pair of pairs)
    for (const r of rs) {
      const at = (n: number) =>
        rows.find(
          (x) =>
            x.suite === pair && x.n === n && x.op === "commitCreate" && x.config === `apq-r${r}`,
        );
      const mode = at(sizes[0]!)?.mode === 0 ? " mode 0" : "";
      table.push([
        `${pair}${mode}, r=${r}`,
        ...sizes.map((n) => {
          const x = at(n);
          if (x === undefined) return "–";
          const f = (v: unknown) => fmtRatio(typeof v === "number" ? v : null);
          return `${f(x.ratioToTOnly)} T · ${f(x.ratioToPqOnly)} PQ · ${f(x.ratioToPartial)} P · bytes ${f(x.bytesRatioToTOnly)} T`;
        }),
      ]);
    }
  return [
    "Commit create time per commit ÷ T-only (T), ÷ PQ-only with the pair's PQ suite (PQ), ÷ PARTIAL (P); bytes per commit ÷ T-only.",
    "",
    mdTable(["pair, r", ...sizes.map((n) => `N=${n}`)], table),
  ].join("\n");
}

/** Writes <stem>.json, <stem>.md and the charts; returns the paths written. */
export function writePqReport(result: PqResult, report: PqReport, stem: string): string[] {
  const dir = dirname(stem);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    written.push(path);
  };
  write(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  write(`${stem}.md`, report.markdown);
  for (const c of report.charts) write(`${dir}/${c.file}`, c.svg);
  return written;
}
