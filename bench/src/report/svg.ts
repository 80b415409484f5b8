/**
 * Line charts as standalone SVG, written by hand (no dependencies): linear or log axes, one
 * polyline per series with point markers (hover titles give the values), and a legend.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
  readonly dashed?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Tick positions on x (default: every x value present, for log axes; nice steps otherwise). */
  readonly xTicks?: readonly number[];
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Formats a y value in tooltips and tick labels. */
  readonly yFormat?: (y: number) => string;
  /** Horizontal reference lines (e.g. y = 1 for a ratio). */
  readonly refLines?: readonly { readonly y: number; readonly label: string }[];
}

/** Okabe–Ito, then a few more: distinguishable for most colour vision. */
const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#7F3C8D",
  "#80BA5A",
  "#E73F74",
  "#3969AC",
  "#B8A000",
];

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const num = (x: number) => (Math.round(x * 100) / 100).toString();

export function defaultFormat(y: number): string {
  const a = Math.abs(y);
  if (a === 0) return "0";
  if (a >= 1e9) return `${trim(y / 1e9)}G`;
  if (a >= 1e6) return `${trim(y / 1e6)}M`;
  if (a >= 1e4) return `${trim(y / 1e3)}k`;
  if (a >= 1) return trim(y);
  return Number(y.toPrecision(2)).toString();
}

function trim(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
  readonly ticks: number[];
}

function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const decades = hi - lo;
  const steps = decades <= 1 ? [1, 2, 5] : decades <= 3 ? [1, 3] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++)
    for (const s of steps) {
      const v = s * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  return out;
}

function makeAxis(values: number[], log: boolean, ticks?: readonly number[]): Axis {
  const vs = log ? values.filter((v) => v > 0) : values;
  if (vs.length === 0) return { min: log ? 1 : 0, max: log ? 10 : 1, log, ticks: [] };
  let min = Math.min(...vs);
  let max = Math.max(...vs);
  if (log) {
    if (ticks === undefined) {
      min = 10 ** Math.floor(Math.log10(min));
      max = 10 ** Math.ceil(Math.log10(max));
      if (min === max) max = min * 10;
    } else {
      min = Math.min(min, ...ticks);
      max = Math.max(max, ...ticks);
      if (min === max) max = min * 2;
    }
    return { min, max, log, ticks: [...(ticks ?? logTicks(min, max))] };
  }
  if (min > 0 && ticks === undefined) min = 0;
  if (min === max) max = min + 1;
  const step = niceStep(max - min, 5);
  min = Math.floor(min / step) * step;
  max = Math.ceil(max / step) * step;
  const t: number[] = [];
  for (let v = min; v <= max + step / 2; v += step) t.push(Number(v.toPrecision(12)));
  return { min, max, log, ticks: [...(ticks ?? t)] };
}

function scale(a: Axis, lo: number, hi: number): (v: number) => number {
  if (a.log) {
    const l0 = Math.log10(a.min);
    const l1 = Math.log10(a.max);
    return (v) => lo + ((Math.log10(v) - l0) / (l1 - l0)) * (hi - lo);
  }
  return (v) => lo + ((v - a.min) / (a.max - a.min)) * (hi - lo);
}

/** One chart as an SVG document. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 860;
  const height = spec.height ?? 440;
  const fmtY = spec.yFormat ?? defaultFormat;
  const legendWidth = 290;
  const m = { top: 44, right: legendWidth + 16, bottom: 56, left: 72 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const usable = (p: Point) =>
    Number.isFinite(p.x) &&
    Number.isFinite(p.y) &&
    (!spec.xLog || p.x > 0) &&
    (!spec.yLog || p.y > 0);
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter(usable) }));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = [
    ...series.flatMap((s) => s.points.map((p) => p.y)),
    ...(spec.refLines ?? []).map((r) => r.y),
  ];
  const xTicks = spec.xTicks ?? (spec.xLog ? [...new Set(xs)].sort((a, b) => a - b) : undefined);
  const xa = makeAxis(xs, spec.xLog === true, xTicks);
  const ya = makeAxis(ys, spec.yLog === true);
  const X = scale(xa, m.left, m.left + plotW);
  const Y = scale(ya, m.top + plotH, m.top);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="24" font-size="15" font-weight="600" fill="#222">${escapeXml(spec.title)}</text>`,
  );
  // Grid and tick labels.
  out.push(`<g class="grid" stroke="#e3e3e3" stroke-width="1">`);
  for (const t of ya.ticks)
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${num(Y(t))}" y2="${num(Y(t))}"/>`);
  for (const t of xa.ticks)
    out.push(`<line x1="${num(X(t))}" x2="${num(X(t))}" y1="${m.top}" y2="${m.top + plotH}"/>`);
  out.push("</g>");
  out.push(`<g class="ticks" fill="#444">`);
  for (const t of ya.ticks)
    out.push(
      `<text x="${m.left - 6}" y="${num(Y(t) + 4)}" text-anchor="end">${escapeXml(fmtY(t))}</text>`,
    );
  for (const t of xa.ticks)
    out.push(
      `<text x="${num(X(t))}" y="${m.top + plotH + 18}" text-anchor="middle">${escapeXml(defaultFormat(t))}</text>`,
    );
  out.push("</g>");
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 14}" text-anchor="middle" fill="#222">${escapeXml(spec.xLabel)}${xa.log ? " (log)" : ""}</text>`,
    `<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(spec.yLabel)}${ya.log ? " (log)" : ""}</text>`,
  );
  for (const r of spec.refLines ?? [])
    if (!ya.log || r.y > 0)
      out.push(
        `<g class="ref"><line x1="${m.left}" x2="${m.left + plotW}" y1="${num(Y(r.y))}" y2="${num(Y(r.y))}" stroke="#666" stroke-dasharray="2 3"/>`,
        `<text x="${m.left + plotW - 4}" y="${num(Y(r.y) - 4)}" text-anchor="end" fill="#666">${escapeXml(r.label)}</text></g>`,
      );
  // Series.
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1)
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""} points="${pts.map((p) => `${num(X(p.x))},${num(Y(p.y))}`).join(" ")}"/>`,
      );
    for (const p of pts)
      out.push(
        `<circle cx="${num(X(p.x))}" cy="${num(Y(p.y))}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${defaultFormat(p.x)} → ${fmtY(p.y)}`)}</title></circle>`,
      );
    out.push("</g>");
  });
  // Legend.
  const lx = width - legendWidth;
  out.push(`<g class="legend">`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const y = m.top + 8 + i * 18;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`,
      `<text x="${lx + 28}" y="${y + 4}" fill="#222">${escapeXml(s.name)}</text>`,
    );
  });
  out.push("</g>", "</svg>");
  return `${out.join("\n")}\n`;
}
