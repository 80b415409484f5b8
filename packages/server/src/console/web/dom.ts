/**
 * Small DOM helpers shared by the console pages and the chat demo (browser code, bundled by
 * ../bundle.ts; never imported by the server).
 */

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} is missing`);
  return e as T;
}

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`class`, `aria-*`, …) and children. */
export function h(
  tag: string,
  attrs: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: Child[]
): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === "number" ? String(c) : c);
  }
  return e;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toLocaleString(undefined, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function seconds(s: number | null): string {
  if (s === null) return "no rule";
  if (s % 86400 === 0) return `${s / 86400} d`;
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** A FULL / PARTIAL badge: text and colour, so it is never told by colour alone. */
export function badge(update: string): HTMLElement {
  const cls =
    update === "FULL"
      ? "full"
      : update === "PARTIAL"
        ? "partial"
        : update === "none"
          ? "none"
          : "join";
  return h("span", { class: `badge ${cls}` }, update);
}

export function showError(e: unknown): void {
  const el = document.getElementById("error");
  if (el !== null)
    el.textContent = e === undefined ? "" : e instanceof Error ? e.message : String(e);
}

export function setStatus(text: string): void {
  const el = document.getElementById("status");
  if (el !== null) el.textContent = text;
}
