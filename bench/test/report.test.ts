import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AMORTISE_R, amortisedRows, pqTargets } from "../src/pq.js";
import { fmtBytes, fmtMs, fmtRatio, mdTable } from "../src/report/markdown.js";
import { buildPqReport, type PqResult, writePqReport } from "../src/report/pq.js";
import { lineChart } from "../src/report/svg.js";
import type { Row } from "../src/rows.js";

/** A result with made-up numbers (no timing involved). */
function syntheticResult(): PqResult {
  const sizes = [2, 8];
  const rows: Row[] = [];
  const row = (r: {
    impl: Row["impl"];
    suite: number | string;
    n: number;
    op: string;
    medianMs: number;
    bytes: number | null;
    [extra: string]: unknown;
  }): void => {
    rows.push({ tree: "sparse", samples: [r.medianMs], reps: 1, ...r });
  };
  for (const n of sizes) {
    const k = n / 2; // scales with N
    for (const [op, t, b] of [
      ["commitCreate", 1, 500],
      ["commitProcess", 0.5, 500],
    ] as const) {
      row({ impl: "hpqmls", suite: 1, n, op, medianMs: t * k, bytes: b * k, config: "t-only" });
      row({
        impl: "ts-mls",
        suite: 1,
        n,
        op,
        medianMs: 10 * t * k,
        bytes: b * k,
        config: "t-only",
      });
      row({
        impl: "hpqmls",
        suite: 0xf00a,
        n,
        op,
        medianMs: 20 * t * k,
        bytes: 20 * b * k,
        config: "pq-only",
      });
      row({
        impl: "hpqmls",
        suite: 0xf006,
        n,
        op,
        medianMs: 5 * t * k,
        bytes: 8 * b * k,
        config: "pq-only",
      });
      for (const [pair, pq, mode] of [
        ["0x0001+0xF00A", 20, 1],
        ["0x0001+0xF006", 5, 0],
      ] as const) {
        const extra = { tSuite: 1, pqSuite: pair.endsWith("A") ? 0xf00a : 0xf006, mode };
        row({
          impl: "hpqmls",
          suite: pair,
          n,
          op,
          medianMs: 1.05 * t * k,
          bytes: 1.1 * b * k,
          config: "apq-partial",
          ...extra,
        });
        row({
          impl: "hpqmls",
          suite: pair,
          n,
          op,
          medianMs: (1 + pq) * t * k,
          bytes: (1 + pq) * b * k,
          config: "apq-full",
          ...extra,
        });
      }
    }
    for (const config of ["t-only", "apq-full"])
      for (const op of ["welcome", "join", "appEncrypt", "appDecrypt", "state"])
        row({
          impl: "hpqmls",
          suite: config === "t-only" ? 1 : "0x0001+0xF00A",
          n,
          op,
          medianMs: 0.1 * n,
          bytes: op === "join" ? null : 100 * n,
          config,
          mode: 1,
        });
  }
  row({
    impl: "hpqmls",
    suite: 1,
    n: 0,
    op: "keyPackage",
    medianMs: 0.3,
    bytes: 276,
    config: "t-only",
  });
  rows.push(...amortisedRows(rows, sizes));
  return {
    bench: "pq",
    version: 1,
    quick: true,
    machine: {
      cpu: "Test CPU",
      cores: 2,
      node: "v20.0.0",
      os: "linux test",
      memoryGiB: 1,
      host: "test",
      commit: "0123456789abcdef0123456789abcdef01234567",
      dirty: false,
      date: "2026-01-02T03:04:05.000Z",
    },
    machineName: "test-cpu-2c",
    sizes,
    r: AMORTISE_R,
    budgetMs: 100,
    tree: "sparse",
    notes: ["ts-mls lacks PQ suites here (test note)."],
    targets: pqTargets(rows, sizes),
    rows,
  };
}

/** Checks that every element is closed in order (enough to catch broken SVG generation). */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  const body = xml.replace(/<\?xml[^>]*\?>/, "");
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self === "/") continue;
    if (close === "/") {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0;
}

describe("PQ report", () => {
  const result = syntheticResult();
  const dir = mkdtempSync(join(tmpdir(), "hpqmls-bench-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stem = join(dir, "2026-01-02-test-cpu-2c");
  const report = buildPqReport(result, { stem });

  it("derives the amortised rows from FULL and PARTIAL", () => {
    const full = result.rows.find(
      (r) =>
        r.config === "apq-full" &&
        r.suite === "0x0001+0xF00A" &&
        r.n === 8 &&
        r.op === "commitCreate",
    )!;
    const part = result.rows.find(
      (r) =>
        r.config === "apq-partial" &&
        r.suite === "0x0001+0xF00A" &&
        r.n === 8 &&
        r.op === "commitCreate",
    )!;
    const r20 = result.rows.find(
      (r) =>
        r.config === "apq-r20" &&
        r.suite === "0x0001+0xF00A" &&
        r.n === 8 &&
        r.op === "commitCreate",
    )!;
    expect(r20.medianMs).toBeCloseTo((full.medianMs! + 19 * part.medianMs!) / 20);
    expect(r20.bytes).toBeCloseTo((full.bytes! + 19 * part.bytes!) / 20);
    expect(r20.ratioToTOnly).toBeCloseTo(r20.medianMs! / 4); // t-only at N=8 is 4 ms
    for (const r of AMORTISE_R)
      expect(result.rows.some((x) => x.config === `apq-r${r}`)).toBe(true);
  });

  it("evaluates the targets", () => {
    const byId = new Map(result.targets.map((t) => [t.id, t]));
    expect(byId.get("partial-vs-t-0x0001+0xF00A")?.pass).toBe(true); // 1.05×
    expect(byId.get("full-vs-t-plus-pq-0x0001+0xF00A")?.pass).toBe(true); // 21 / 21
    // r=20: (21 + 19·1.05) / 20 / 1.05 = 1.95× PARTIAL.
    expect(byId.get("r20-time-0x0001+0xF00A")?.pass).toBe(false);
    expect(byId.get("r20-time-0x0001+0xF00A")?.measured).toMatch(/1\.95×/);
  });

  it("renders markdown tables for every section", () => {
    const md = report.markdown;
    for (const h of [
      "# PQ overhead of APQ-MLS: 2026-01-02",
      "## Commit create (median ms)",
      "## Commit process, per receiver (median ms)",
      "## Commit bytes on the wire",
      "## Welcome for one add",
      "## Per-member state (bytes)",
      "## FULL every r commits",
      "## Targets (reported, not asserted)",
    ])
      expect(md).toContain(h);
    expect(md).toContain("| configuration");
    expect(md).toMatch(/\| t-only 0x0001 +\| +1\.00 \| +4\.00 \|/);
    expect(md).toContain("ts-mls t-only 0x0001");
    expect(md).toContain("apq-full 0x0001+0xF006 mode 0");
    expect(md).toContain("apq-r20 0x0001+0xF00A");
    expect(md).toContain("ts-mls lacks PQ suites here (test note).");
    expect(md).toContain("| MISS");
    expect(md).toContain("![Amortised cost vs r](2026-01-02-test-cpu-2c-amortised.svg)");
    // Every table row has as many cells as its header.
    for (const table of md.split("\n\n").filter((b) => b.startsWith("| "))) {
      const cells = table.split("\n").map((l) => l.split(" | ").length);
      expect(new Set(cells).size).toBe(1);
    }
  });

  it("draws well-formed SVG charts with one line per configuration", () => {
    expect(report.charts.map((c) => c.file)).toEqual([
      "2026-01-02-test-cpu-2c-commit-time.svg",
      "2026-01-02-test-cpu-2c-process-time.svg",
      "2026-01-02-test-cpu-2c-commit-bytes.svg",
      "2026-01-02-test-cpu-2c-amortised.svg",
    ]);
    for (const c of report.charts) {
      expect(c.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(wellFormed(c.svg)).toBe(true);
      expect(c.svg).not.toMatch(/NaN|Infinity|undefined/);
      expect(c.svg).toContain("(log)");
    }
    const time = report.charts[0]!.svg;
    // t-only, ts-mls t-only, 2 pq-only, 2 partial, 2 full, 2 apq-r20.
    expect(time.match(/<g class="series"/g)?.length).toBe(10);
    expect(time.match(/<polyline /g)?.length).toBe(10);
    expect(time).toContain('data-name="apq-full 0x0001+0xF00A"');
    const amortised = report.charts[3]!.svg;
    expect(amortised.match(/<g class="series"/g)?.length).toBe(4); // time and bytes per pair
    expect(amortised).toContain("T-only");
  });

  it("writes JSON, markdown and SVG files next to each other", () => {
    const written = writePqReport(result, report, stem);
    expect(written).toHaveLength(2 + report.charts.length);
    const json = JSON.parse(readFileSync(`${stem}.json`, "utf8"));
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(["bench", "machine", "sizes", "r", "notes", "targets", "rows"]),
    );
    expect(json.bench).toBe("pq");
    expect(json.machine.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const r of json.rows) {
      expect(["hpqmls", "ts-mls"]).toContain(r.impl);
      expect(["number", "string"]).toContain(typeof r.suite);
      expect(typeof r.n).toBe("number");
      expect(["sparse", "dense"]).toContain(r.tree);
      expect(typeof r.op).toBe("string");
      expect(r.medianMs === null || typeof r.medianMs === "number").toBe(true);
      expect(r.bytes === null || typeof r.bytes === "number").toBe(true);
      expect(typeof r.config).toBe("string");
    }
    expect(readFileSync(`${stem}.md`, "utf8")).toBe(report.markdown);
    expect(readFileSync(join(dir, report.charts[0]!.file), "utf8")).toBe(report.charts[0]!.svg);
  });
});

describe("formatting", () => {
  it("aligns markdown tables", () => {
    expect(
      mdTable(
        ["a", "b"],
        [
          ["x", 1],
          ["yy", 22],
        ],
      ),
    ).toBe("| a   |   b |\n| --- | --: |\n| x   |   1 |\n| yy  |  22 |");
  });
  it("formats numbers", () => {
    expect(fmtMs(0.0213)).toBe("0.0213");
    expect(fmtMs(4.713)).toBe("4.71");
    expect(fmtMs(12345)).toBe("12 345");
    expect(fmtMs(null)).toBe("–");
    expect(fmtBytes(489)).toBe("489 B");
    expect(fmtBytes(84_616)).toBe("84.6 kB");
    expect(fmtBytes(12_300_000)).toBe("12.3 MB");
    expect(fmtRatio(6.234)).toBe("6.23×");
  });
  it("draws a chart with nothing to draw", () => {
    const svg = lineChart({
      title: "empty",
      xLabel: "x",
      yLabel: "y",
      xLog: true,
      yLog: true,
      series: [],
    });
    expect(wellFormed(svg)).toBe(true);
    expect(svg).not.toMatch(/NaN/);
  });
});
