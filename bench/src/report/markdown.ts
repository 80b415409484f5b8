/** Markdown tables and number formatting for the reports. */

export type Align = "l" | "r";

function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A GitHub-flavoured markdown table with padded columns. */
export function mdTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  align?: readonly Align[],
): string {
  const cells = [header, ...rows].map((r) => r.map((c) => escapeCell(String(c))));
  const widths = header.map((_, j) => Math.max(3, ...cells.map((r) => (r[j] ?? "").length)));
  const al = header.map((_, j) => align?.[j] ?? (j === 0 ? "l" : "r"));
  const line = (r: readonly string[]) =>
    `| ${widths
      .map((w, j) => {
        const c = r[j] ?? "";
        return al[j] === "r" ? c.padStart(w) : c.padEnd(w);
      })
      .join(" | ")} |`;
  const rule = `| ${widths.map((w, j) => (al[j] === "r" ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}

/** Milliseconds with three significant digits ("0.0213", "4.71", "123", "12 345"). */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms >= 1000) return Math.round(ms).toLocaleString("en-US").replace(/,/g, " ");
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(3);
}

/** Bytes in B, kB or MB (powers of 1000, as wire sizes are usually quoted). */
export function fmtBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return "–";
  if (b < 10_000) return `${Math.round(b)} B`;
  if (b < 10_000_000) return `${(b / 1000).toFixed(b < 100_000 ? 1 : 0)} kB`;
  return `${(b / 1_000_000).toFixed(1)} MB`;
}

/** "6.2×" (or "–"). */
export function fmtRatio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;
}

export function passMark(pass: boolean | null): string {
  return pass === null ? "n/a" : pass ? "pass" : "MISS";
}
