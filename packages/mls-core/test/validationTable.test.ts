/**
 * Checks packages/mls-core/VALIDATION.md against the code: every row of its rule tables names
 * an enforcing function (`path#name` or `path#Class.method`) that exists in that source file,
 * and a test (`file` › `title`) whose file has an it()/test() (or it.each template) with
 * exactly that title; every required rule id has a row. The self-tests at the end show that
 * the checker reports broken rows.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const TABLE = join(ROOT, "packages", "mls-core", "VALIDATION.md");
const HEADER = "| Rule | Requirement | Enforced by | Test |";

/** Rule ids the table must cover: removing a row fails this test. */
const REQUIRED: readonly string[] = [
  "§12-1",
  "§12-2",
  "§12.1.1-1",
  "§12.1.1-2",
  "§12.1.1-3",
  "§12.1.1-4",
  "§12.1.2-1",
  "§12.1.2-2",
  "§12.1.2-3",
  "§12.1.2-4",
  "§12.1.2-5",
  "§12.1.3-1",
  "§12.1.3-2",
  "§12.1.4-1",
  "§12.1.4-2",
  "§12.1.4-3",
  "§12.1.4-4",
  "§12.1.5-1",
  "§12.1.6-1",
  "§12.1.7-1",
  "§12.1.7-2",
  "§12.1.7-3",
  "§12.1.8-1",
  "§12.1.8-2",
  "§12.1.8-3",
  "§12.1.8.1-1",
  "§12.2-1",
  "§12.2-2",
  "§12.2-3",
  "§12.2-4",
  "§12.2-5a",
  "§12.2-5b",
  "§12.2-5c",
  "§12.2-6a",
  "§12.2-6b",
  "§12.2-7a",
  "§12.2-7b",
  "§12.2-8",
  "§12.2-9",
  "§12.2-10",
  "§12.2-11",
  "§12.2-12a",
  "§12.2-12b",
  "§12.2-13a",
  "§12.2-13b",
  "§12.2-14",
  "§12.2-15",
  "§12.2-16",
  "§12.2-17",
  "§12.2-18",
  "§12.2-19",
  "§12.3-1",
  "§12.3-2",
  "§12.3-3",
  "§12.4-1",
  "§12.4-2",
  "§12.4-3",
  "§12.4.1-1",
  "§12.4.1-2",
  "§12.4.1-3",
  "§12.4.1-4",
  "§12.4.1-5",
  "§11.2-1",
  "§11.2-2",
  "§11.2-3",
  "§11.3-1",
  "§11.3-2",
  "§11.3-3",
  "§12.4.2-1",
  "§12.4.2-2",
  "§12.4.2-3",
  "§12.4.2-4",
  "§12.4.2-5",
  "§12.4.2-6",
  "§12.4.2-7",
  "§12.4.2-8",
  "§12.4.2-9",
  "§12.4.2-10",
  "§12.4.2-11",
  "§12.4.2-12",
  "§12.4.2-13",
  "§12.4.3-1",
  "§12.4.3-2",
  "§12.4.3-3",
  "§12.4.3.1-1",
  "§12.4.3.1-2",
  "§12.4.3.1-3",
  "§12.4.3.1-4",
  "§12.4.3.1-5",
  "§12.4.3.1-6",
  "§12.4.3.1-7",
  "§12.4.3.1-8",
  "§12.4.3.1-9",
  "§12.4.3.1-10",
  "§12.4.3.1-11a",
  "§12.4.3.1-11b",
  "§12.4.3.1-12",
  "§12.4.3.1-13",
  "§12.4.3.1-14",
  "§12.4.3.1-15",
  "§12.4.3.1-16",
  "§12.4.3.1-17",
  "§12.4.3.1-18",
  "§12.4.3.1-19",
  "§12.4.3.1-20",
  "§12.4.3.1-21",
  "§12.4.3.1-22",
  "§12.4.3.1-23",
  "§12.4.3.1-24",
  "§12.4.3.1-25",
  "§12.4.3.1-26",
  "§12.4.3.2-1",
  "§12.4.3.2-2",
  "§12.4.3.2-3",
  "§12.4.3.2-4",
  "§12.4.3.2-5",
  "§12.4.3.2-6",
  "§12.4.3.3-1",
  "§12.4.3.3-2",
  "§7.3-1",
  "§7.3-2",
  "§7.3-3a",
  "§7.3-3b",
  "§7.3-4a",
  "§7.3-4b",
  "§7.3-5a",
  "§7.3-5c",
  "§7.3-5b",
  "§7.3-6",
  "§7.3-7",
  "§7.3-8a",
  "§7.3-8b",
  "§7.3-9",
  "§7.5-1",
  "§7.6-1",
  "§7.6-2",
  "§7.9.2-1a",
  "§7.9.2-1b",
  "§7.9.2-1c",
  "§7.9.2-2a",
  "§7.9.2-2b",
  "APQ-1a",
  "APQ-1b",
  "APQ-1c",
  "APQ-1d",
  "APQ-2",
  "APQ-3a",
  "APQ-3b",
  "APQ-3c",
  "APQ-3d",
  "APQ-3e",
  "APQ-4a",
  "APQ-4b",
  "APQ-4c",
  "APQ-5a",
  "APQ-5b",
  "APQ-6",
  "APQ-7a",
  "APQ-7b",
  "APQ-7c",
  "APQ-7d",
  "APQ-7e",
  "APQ-8a",
  "APQ-8b",
  "APQ-9a",
  "APQ-9b",
  "APQ-10a",
  "APQ-10b",
  "APQ-10c",
  "APQ-10d",
  "APQ-10e",
  "APQ-E12",
];

interface Row {
  readonly line: number;
  readonly id: string;
  readonly fn?: { readonly file: string; readonly name: string };
  readonly test?: { readonly file: string; readonly title: string };
  readonly problems: string[];
}

/** The rows of every table whose header is HEADER (other tables, e.g. notes, are skipped). */
export function parseTable(markdown: string): Row[] {
  const rows: Row[] = [];
  let inTable = false;
  markdown.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line.startsWith("|")) {
      inTable = false;
      return;
    }
    if (line === HEADER) {
      inTable = true;
      return;
    }
    if (!inTable || /^\|\s*-/.test(line)) return;
    const cells = line
      .slice(1, line.endsWith("|") ? -1 : undefined)
      .split("|")
      .map((c) => c.trim());
    const problems: string[] = [];
    if (cells.length !== 4) problems.push(`expected 4 cells, found ${cells.length}`);
    const [id = "", requirement = "", fnCell = "", testCell = ""] = cells;
    if (id === "") problems.push("no rule id");
    if (requirement === "") problems.push("no requirement");
    const f = /^`([^`#]+)#([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)`$/.exec(fnCell);
    if (f === null) problems.push(`no enforcing function (\`path#name\`): "${fnCell}"`);
    const t = /^`([^`]+\.test\.ts)` › `([^`]+)`$/.exec(testCell);
    if (t === null) problems.push(`no test (\`file\` › \`title\`): "${testCell}"`);
    rows.push({
      line: i + 1,
      id,
      ...(f === null ? {} : { fn: { file: f[1]!, name: f[2]! } }),
      ...(t === null ? {} : { test: { file: t[1]!, title: t[2]! } }),
      problems,
    });
  });
  return rows;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Does `source` declare `name` (function, const, class) or `Class.method`? */
export function declares(source: string, name: string): boolean {
  const [cls, method] = name.includes(".") ? name.split(".") : [undefined, name];
  if (cls === undefined) {
    const n = esc(method!);
    return [
      new RegExp(
        `(^|\\n)\\s*(export\\s+)?(default\\s+)?(async\\s+)?function\\s*\\*?\\s*${n}\\s*[<(]`,
      ),
      new RegExp(`(^|\\n)\\s*(export\\s+)?(const|let|var)\\s+${n}\\s*[:=]`),
      new RegExp(`(^|\\n)\\s*(export\\s+)?(abstract\\s+)?class\\s+${n}\\b`),
    ].some((r) => r.test(source));
  }
  const start = new RegExp(`(^|\\n)(export\\s+)?(abstract\\s+)?class\\s+${esc(cls)}\\b`).exec(
    source,
  );
  if (start === null) return false;
  // The class body: up to the next top-level declaration (or the end of the file).
  const rest = source.slice(start.index + start[0].length);
  const end = /\n(export\s+)?(async\s+)?(function|class|const|let|interface|type)\s/.exec(rest);
  const body = end === null ? rest : rest.slice(0, end.index);
  const modifiers = "((public|private|protected|static|async|readonly|override|get|set)\\s+)*";
  return new RegExp(`\\n\\s+${modifiers}${esc(method!)}\\s*[<(]`).test(body);
}

/** The string literal forms a title can take in TypeScript source. */
function literals(title: string): string[] {
  const q = (c: string) => c + title.replace(/\\/g, "\\\\").replaceAll(c, `\\${c}`) + c;
  return [q('"'), q("'"), `\`${title}\``];
}

/** Does `source` have `it(title, …)` / `test(title, …)` or `it.each(…)(title, …)`? */
export function hasTest(source: string, title: string): boolean {
  for (const lit of literals(title)) {
    for (let at = source.indexOf(lit); at >= 0; at = source.indexOf(lit, at + 1)) {
      const before = source.slice(0, at).trimEnd();
      if (/(^|[^\w.$])(it|test)\($/.test(before)) return true;
      if (before.endsWith(")(")) {
        // it.each([...])(title, …): the nearest it/test call before the title is an .each
        const calls = [...before.matchAll(/(^|[^\w.$])(it|test)(\.\w+)?\(/g)];
        const last = calls[calls.length - 1];
        if (last !== undefined && last[3] === ".each") return true;
      }
    }
  }
  return false;
}

const cache = new Map<string, string | undefined>();
function read(file: string): string | undefined {
  if (!cache.has(file)) {
    const p = join(ROOT, file);
    cache.set(file, existsSync(p) ? readFileSync(p, "utf8") : undefined);
  }
  return cache.get(file);
}

/** Everything wrong with one row. */
export function check(row: Row): string[] {
  const out = [...row.problems];
  if (row.fn !== undefined) {
    const src = read(row.fn.file);
    if (src === undefined) out.push(`source file ${row.fn.file} does not exist`);
    else if (!declares(src, row.fn.name)) out.push(`${row.fn.file} declares no ${row.fn.name}`);
  }
  if (row.test !== undefined) {
    const src = read(row.test.file);
    if (src === undefined) out.push(`test file ${row.test.file} does not exist`);
    else if (!hasTest(src, row.test.title))
      out.push(`${row.test.file} has no it()/test() titled "${row.test.title}"`);
  }
  return out;
}

describe("VALIDATION.md", () => {
  const rows = parseTable(readFileSync(TABLE, "utf8"));

  it("has rule tables", () => {
    expect(rows.length).toBeGreaterThanOrEqual(REQUIRED.length);
  });

  it("every row names an existing enforcing function and an existing test", () => {
    const bad = rows.flatMap((r) => check(r).map((p) => `line ${r.line} (${r.id}): ${p}`));
    expect(bad).toEqual([]);
  });

  it("rule ids are unique", () => {
    const ids = rows.map((r) => r.id);
    expect(ids.filter((x, i) => ids.indexOf(x) !== i)).toEqual([]);
  });

  it("covers every required rule id", () => {
    const ids = new Set(rows.map((r) => r.id));
    expect(REQUIRED.filter((x) => !ids.has(x))).toEqual([]);
  });

  it("covers RFC 9420 §11.2/§11.3, §12.1–§12.4.3.3, §7.3, §7.5/§7.6, §7.9 and the combiner checklist", () => {
    const prefixes = [
      "§11.2-",
      "§11.3-",
      "§12-",
      "§12.1.1-",
      "§12.1.2-",
      "§12.1.3-",
      "§12.1.4-",
      "§12.1.5-",
      "§12.1.6-",
      "§12.1.7-",
      "§12.1.8-",
      "§12.1.8.1-",
      "§12.2-",
      "§12.3-",
      "§12.4-",
      "§12.4.1-",
      "§12.4.2-",
      "§12.4.3-",
      "§12.4.3.1-",
      "§12.4.3.2-",
      "§12.4.3.3-",
      "§7.3-",
      "§7.5-",
      "§7.6-",
      "§7.9.2-",
      "APQ-1",
      "APQ-2",
      "APQ-3",
      "APQ-4",
      "APQ-5",
      "APQ-6",
      "APQ-7",
      "APQ-8",
      "APQ-9",
      "APQ-10",
    ];
    for (const p of prefixes)
      expect(
        rows.some((r) => r.id.startsWith(p)),
        p,
      ).toBe(true);
  });
});

describe("the checker itself", () => {
  const fn = "`packages/mls-core/src/group/proposals.ts#validateProposalList`";
  const test =
    "`packages/mls-core/test/validation/proposals.test.ts` › `refuses a Remove of the committer`";
  const table = (...lines: string[]) => [HEADER, "|---|---|---|---|", ...lines].join("\n");
  const problems = (line: string) => parseTable(table(line)).flatMap(check);

  it("accepts a correct row", () => {
    expect(problems(`| §12.2-4 | no Remove of the committer | ${fn} | ${test} |`)).toEqual([]);
  });

  it("reports a row without a function or without a test", () => {
    expect(problems(`| §12.2-4 | r |  | ${test} |`).join()).toMatch(/no enforcing function/);
    expect(problems(`| §12.2-4 | r | ${fn} |  |`).join()).toMatch(/no test/);
  });

  it("reports a function that is not declared, and a source file that does not exist", () => {
    const noFn = fn.replace("validateProposalList", "validateNothing");
    expect(problems(`| x | r | ${noFn} | ${test} |`).join()).toMatch(/declares no validateNothing/);
    const noFile = fn.replace("proposals.ts", "nowhere.ts");
    expect(problems(`| x | r | ${noFile} | ${test} |`).join()).toMatch(/does not exist/);
    const noMethod = "`packages/mls-core/src/group/mlsGroup.ts#MlsGroup.noSuchMethod`";
    expect(problems(`| x | r | ${noMethod} | ${test} |`).join()).toMatch(/declares no/);
  });

  it("reports a title that no it() has, also one that only differs slightly", () => {
    const wrong = test.replace("committer", "committer!");
    expect(problems(`| x | r | ${fn} | ${wrong} |`).join()).toMatch(/has no it\(\)/);
  });

  it("finds declarations and titles in the forms the sources use", () => {
    const src = [
      "export async function a(x: number) {}",
      "function b<T>(x: T) {}",
      "export const c = 1;",
      "export class K {",
      "  private static async m(x: number) {}",
      "  get g() { return 1; }",
      "}",
      "function after() {}",
      'it("plain", async () => {});',
      "it('with \"quotes\"', () => {});",
      'it.each([[1], [2]])("each %s", () => {});',
      // (a skipped test in the sample source; spelt in two parts so no scan takes it for one here)
      `${"it"}.skip("skipped", () => {});`,
      'describe("a describe", () => {});',
      'const notATest = "loose string";',
    ].join("\n");
    for (const n of ["a", "b", "c", "K", "K.m", "K.g"]) expect(declares(src, n), n).toBe(true);
    for (const n of ["d", "K.after", "K.x"]) expect(declares(src, n), n).toBe(false);
    for (const t of ["plain", 'with "quotes"', "each %s"]) expect(hasTest(src, t), t).toBe(true);
    for (const t of ["skipped", "a describe", "loose string", "plai"])
      expect(hasTest(src, t), t).toBe(false);
  });
});
