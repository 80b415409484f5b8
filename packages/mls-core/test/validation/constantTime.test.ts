/**
 * MACs, confirmation tags, membership tags and other values derived from secrets must be
 * compared in constant time (RFC 9420 §16.x advice; a timing oracle on a MAC comparison lets an
 * attacker forge tags byte by byte). mls-core's `constantTimeEqual` is a pure-JS loop so that it
 * also runs in browsers (mls-core imports no `node:` module outside src/crypto/node/).
 *
 * 1. Unit tests of `constantTimeEqual`: right answers (against Node's timingSafeEqual), and it
 *    reads every byte whatever the first difference is (no early exit).
 * 2. A source scan of packages/* /src: no tag / MAC / secret is compared with an early-exit
 *    equality (bytesEqual, hand-rolled `.every(x === y[i])`, Buffer#equals, hex-string ===).
 */
import { timingSafeEqual } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../src/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

// ------------------------------------------------------------------ the function

/** A Uint8Array behind a Proxy that counts reads of its elements. */
function counted(bytes: Uint8Array): { view: Uint8Array; reads: () => number } {
  let n = 0;
  const view = new Proxy(bytes, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) n++;
      const v = Reflect.get(target, prop, target === receiver ? target : target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { view, reads: () => n };
}

describe("constantTimeEqual", () => {
  it("agrees with node:crypto timingSafeEqual on equal and unequal inputs", () => {
    for (let len = 0; len <= 64; len += 7) {
      const a = new Uint8Array(len).map(() => Math.floor(Math.random() * 256));
      expect(constantTimeEqual(a, a.slice())).toBe(true);
      expect(timingSafeEqual(a, a.slice())).toBe(true);
      for (let i = 0; i < len; i++)
        for (const bit of [0x01, 0x80]) {
          const b = a.slice();
          b[i]! ^= bit;
          expect(constantTimeEqual(a, b)).toBe(timingSafeEqual(a, b));
          expect(constantTimeEqual(a, b)).toBe(false);
        }
    }
  });

  it("is false for different lengths, including a prefix", () => {
    const a = new Uint8Array([1, 2, 3, 4]);
    expect(constantTimeEqual(a, a.subarray(0, 3))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), a)).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("reads every byte of both inputs wherever they first differ (no early exit)", () => {
    const len = 32;
    for (const at of [0, 1, 15, 31, -1]) {
      const a = new Uint8Array(len).fill(0xaa);
      const b = a.slice();
      if (at >= 0) b[at] = 0x55;
      const ca = counted(a);
      const cb = counted(b);
      expect(constantTimeEqual(ca.view, cb.view)).toBe(at < 0);
      expect(ca.reads()).toBe(len);
      expect(cb.reads()).toBe(len);
    }
  });
});

// ------------------------------------------------------------------ the source scan

/** Names of values that must never go through an early-exit comparison. */
const SENSITIVE =
  /\btag\b|Tag\b|\bmac\b|Mac\b|[Cc]onfirmation|[Mm]embership|[Aa]uthenticator|[Bb]inder|[Ss]ecret|apq\.pskId|armed/;

/** Early-exit byte comparisons (function names) used in this repository. */
const VARIABLE_TIME_CALLS = /\b(bytesEqual|bytesEq|equalBytes|sameBytes|equal)\s*\(/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "node_modules" && name !== "dist") out.push(...sourceFiles(p));
    } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** The source without comments (strings are kept; the patterns below never match inside them). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** The argument text of a call whose opening parenthesis is at `open`. */
function argsAt(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === "(") depth++;
    else if (src[i] === ")" && --depth === 0) return src.slice(open + 1, i);
  }
  return src.slice(open + 1);
}

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** Early-exit comparisons of sensitive values in one source text. */
export function scan(file: string, source: string): Finding[] {
  const src = stripComments(source);
  const findings: Finding[] = [];
  const lineOf = (at: number) => src.slice(0, at).split("\n").length;
  const add = (at: number, text: string) =>
    findings.push({ file, line: lineOf(at), text: text.trim().slice(0, 160) });

  for (const m of src.matchAll(VARIABLE_TIME_CALLS)) {
    const before = src.slice(Math.max(0, m.index - 20), m.index);
    if (/function\s+$/.test(before)) continue; // the helper's own declaration
    const args = argsAt(src, m.index + m[0].length - 1);
    if (SENSITIVE.test(args)) add(m.index, `${m[1]}(${args})`);
  }
  // a.every((x, i) => x === b[i]) and a.some((x, i) => x !== b[i])
  for (const m of src.matchAll(
    /([\w.!?[\]]+)\.(every|some)\(\s*\(\s*\w+\s*,\s*\w+\s*\)\s*=>\s*\w+\s*[!=]==?\s*([\w.!?]+)\[/g,
  ))
    if (SENSITIVE.test(m[1]!) || SENSITIVE.test(m[3]!)) add(m.index, m[0]);
  // Buffer#equals / Buffer.compare
  for (const m of src.matchAll(/\.equals\s*\(|\bBuffer\.compare\s*\(/g)) {
    const args = argsAt(src, m.index + m[0].length - 1);
    const lineStart = src.lastIndexOf("\n", m.index) + 1;
    const receiver = src.slice(lineStart, m.index);
    if (SENSITIVE.test(receiver) || SENSITIVE.test(args))
      add(m.index, `${receiver}${m[0]}${args})`);
  }
  // hex/base64 strings compared with === (toHex(tag) === toHex(expected), …)
  for (const m of src.matchAll(
    /\b(toHex|hex|toBase64|base64|b64)\s*\(([^()]*)\)\s*[!=]==?|[!=]==?\s*\b(toHex|hex|toBase64|base64|b64)\s*\(([^()]*)\)/g,
  ))
    if (SENSITIVE.test(m[2] ?? "") || SENSITIVE.test(m[4] ?? "")) add(m.index, m[0]);
  return findings;
}

describe("source scan: tags and MACs are compared in constant time", () => {
  const packages = join(ROOT, "packages");
  const files = readdirSync(packages)
    .map((p) => join(packages, p, "src"))
    .filter((d) => {
      try {
        return statSync(d).isDirectory();
      } catch {
        return false;
      }
    })
    .flatMap(sourceFiles);

  it("scans the sources of every package", () => {
    const rel = files.map((f) => relative(ROOT, f));
    for (const must of [
      "packages/mls-core/src/framing/publicMessage.ts",
      "packages/mls-core/src/group/commit.ts",
      "packages/mls-core/src/group/join.ts",
      "packages/pq-combiner/src/apqPsk.ts",
      "packages/pq-combiner/src/session.ts",
      "packages/server/src/app.ts",
    ])
      expect(rel).toContain(must);
  });

  it("finds no early-exit comparison of a tag, MAC or secret in packages/*/src", () => {
    const findings = files.flatMap((f) => scan(relative(ROOT, f), readFileSync(f, "utf8")));
    expect(findings).toEqual([]);
  });

  it("the membership tag and both confirmation tag checks use constantTimeEqual", () => {
    const read = (p: string) => stripComments(readFileSync(join(ROOT, p), "utf8"));
    expect(read("packages/mls-core/src/framing/publicMessage.ts")).toMatch(
      /constantTimeEqual\(expected, msg\.membershipTag\)/,
    );
    expect(read("packages/mls-core/src/group/commit.ts")).toMatch(
      /constantTimeEqual\(confirmationTag, a\.expectedConfirmationTag\)/,
    );
    expect(read("packages/mls-core/src/group/join.ts")).toMatch(
      /constantTimeEqual\(tag, gi\.confirmationTag\)/,
    );
    expect(read("packages/pq-combiner/src/apqPsk.ts")).toMatch(
      /constantTimeEqual\(a\.pskId, pskId\)/,
    );
  });

  it("mls-core imports node: modules only in src/crypto/node/ and src/crypto/platform.ts", () => {
    const core = files.filter((f) => relative(ROOT, f).startsWith("packages/mls-core/src/"));
    const offenders = core
      .filter((f) => /from\s+["']node:/.test(readFileSync(f, "utf8")))
      .map((f) => relative(join(ROOT, "packages/mls-core/src"), f))
      .filter((f) => !f.startsWith("crypto/node/") && f !== "crypto/platform.ts");
    expect(offenders).toEqual([]);
  });

  it("the scanner flags each kind of early-exit comparison (sanity)", () => {
    const bad = [
      "if (!bytesEqual(expected, msg.membershipTag)) throw x;",
      "const ok = a.confirmationTag.every((x, i) => x === b[i]);",
      "if (tag.some((x, i) => x !== expected[i])) fail();",
      "if (Buffer.from(mac).equals(other)) ok();",
      "if (toHex(confirmationTag) === toHex(theirs)) ok();",
      "return equal(this.secrets.exporterSecret, other);",
      "if (!bytesEq(psk.pskId, apq.pskId)) fail();",
    ];
    for (const line of bad) expect(scan("x.ts", line), line).toHaveLength(1);
    const good = [
      "if (!constantTimeEqual(expected, msg.membershipTag)) throw x;",
      "if (!bytesEqual(a.signatureKey, b.signatureKey)) fail();",
      "// bytesEqual(tag, other) in a comment",
      "export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {",
      "const same = a.groupId.every((x, i) => x === b.groupId[i]);",
    ];
    for (const line of good) expect(scan("x.ts", line), line).toEqual([]);
  });
});
