/**
 * `npm run bench -- suites`: every cipher suite `getCipherSuite` supports (found by asking
 * `isSupportedCipherSuite` for every uint16, so suites registered later appear by themselves),
 * with ts-mls's suite of the same primitives beside it where ts-mls has one that loads here.
 * Per suite: key package (time, bytes), and at each N commit create / process (time, bytes) and
 * application encrypt / decrypt. Trees are dense (every member has committed once) unless --tree
 * says otherwise. `--json` writes an array of rows; ts-mls rows carry ts-mls's own suite id and
 * `comparedWith` (the hpqmls suite) and `tsMatch` ("exact" or "nearest").
 */
import { type CipherSuite, getCipherSuite, isSupportedCipherSuite } from "@hpqmls/mls-core";
import type { BenchArgs } from "./args.js";
import { budgetFor, findRow, out, toRow, writeJson } from "./common.js";
import { buildMlsFixture, nativeTsSide, type TsSide } from "./fixtures/mls.js";
import { matchTsSuite, type TsImpl, type TsSuiteMatch, tryTsImpl } from "./fixtures/tsmls.js";
import {
  type GroupOp,
  hpqGroupOps,
  hpqKeyPackageOp,
  tsGroupOps,
  tsKeyPackageOp,
} from "./groupOps.js";
import { machineInfo, machineLine, runRecord } from "./machine.js";
import { Progress } from "./progress.js";
import { fmtBytes, fmtMs, mdTable } from "./report/markdown.js";
import { hexSuite, type Row, type Tree } from "./rows.js";

export const SUITES_SIZES = [2, 32, 256];
export const SUITES_QUICK_SIZES = [2, 32];
const OPS: readonly GroupOp[] = ["commitCreate", "commitProcess", "appEncrypt", "appDecrypt"];

/** Every suite id getCipherSuite accepts, in order. */
export function registeredSuites(): number[] {
  const ids: number[] = [];
  for (let id = 1; id <= 0xffff; id++) if (isSupportedCipherSuite(id)) ids.push(id);
  return ids;
}

interface SuiteEntry {
  readonly id: number;
  readonly suite: CipherSuite;
  readonly ts?: { readonly impl: TsImpl; readonly match: TsSuiteMatch };
}

export async function runSuites(args: BenchArgs): Promise<number> {
  const machine = machineInfo();
  const sizes = args.sizes ?? (args.quick ? SUITES_QUICK_SIZES : SUITES_SIZES);
  const trees: readonly Tree[] = args.trees ?? ["dense"];
  const budgetMs = budgetFor(args, 100, 400);
  const tsMaxN = args.tsMlsMaxN ?? 1024;
  const notes: string[] = [];
  const entries: SuiteEntry[] = [];
  for (const id of registeredSuites()) {
    let suite: CipherSuite;
    try {
      suite = getCipherSuite(id);
      // Some factories fail only on first use.
      await suite.signature.generateKeyPair();
      await suite.hpke.kem.generateKeyPair();
    } catch (e) {
      notes.push(
        `${hexSuite(id)} skipped: registered but not usable here (${e instanceof Error ? e.message : String(e)})`,
      );
      continue;
    }
    let ts: SuiteEntry["ts"];
    const match = args.noTsMls ? undefined : matchTsSuite(suite.name);
    if (match !== undefined) {
      const l = await tryTsImpl(match.name);
      if ("impl" in l) ts = { impl: l.impl, match };
      else
        notes.push(`${hexSuite(id)}: ts-mls ${match.name} (${match.id}) does not load: ${l.error}`);
    } else if (!args.noTsMls)
      notes.push(`${hexSuite(id)} ${suite.name}: ts-mls has no suite with this KEM`);
    entries.push({ id, suite, ...(ts === undefined ? {} : { ts }) });
  }
  const total = entries.reduce(
    (a, e) => a + (e.ts ? 2 : 1) + sizes.length * trees.length * (1 + OPS.length * (e.ts ? 2 : 1)),
    0,
  );
  const progress = new Progress(total, "suites");
  const ctx = { budgetMs, progress };
  const run = runRecord("suites", machine, args.quick);
  const rows: Row[] = [];
  for (const e of entries) {
    const name = e.suite.name;
    progress.phase(`${hexSuite(e.id)} ${name}`);
    const tsExtra = e.ts && {
      name: e.ts.match.name,
      comparedWith: e.id,
      tsMatch: e.ts.match.match,
      run,
    };
    progress.step("key package");
    rows.push(
      toRow(
        { impl: "hpqmls", suite: e.id, n: 0, tree: trees[0]! },
        await hpqKeyPackageOp(e.suite, ctx),
        {
          name,
          run,
        },
      ),
    );
    progress.tick();
    if (e.ts && tsExtra) {
      rows.push(
        toRow(
          { impl: "ts-mls", suite: e.ts.match.id, n: 0, tree: trees[0]! },
          await tsKeyPackageOp(e.ts.impl, ctx),
          tsExtra,
        ),
      );
      progress.tick();
    }
    for (const n of sizes)
      for (const tree of trees) {
        progress.step(`N=${n} ${tree}: building the group`);
        // ts-mls joins hpqmls's group when both speak the same suite id; otherwise its own group.
        let mixed = e.ts !== undefined && e.ts.match.id === e.id && n <= tsMaxN;
        let f: Awaited<ReturnType<typeof buildMlsFixture>>;
        try {
          f = await buildMlsFixture({
            suite: e.suite,
            n,
            tree,
            ...(mixed && e.ts ? { ts: e.ts.impl } : {}),
          });
        } catch (err) {
          if (!mixed) throw err;
          // hpqmls refused ts-mls's key packages (or ts-mls hpqmls's Welcome): interop, not speed.
          mixed = false;
          const why = err instanceof Error ? err.message : String(err);
          const ec = /P256|P384|P521/.test(e.ts?.match.name ?? "")
            ? " — ts-mls 1.6.4 with @noble/curves 2 publishes compressed (33/49/67-byte) ECDSA keys, RFC 9420 §5.1.1 wants uncompressed points"
            : "";
          const msg = `${hexSuite(e.id)}: hpqmls refuses ts-mls's key packages (${why}${ec}); ts-mls rows come from a ts-mls-only group (sparse tree)`;
          if (!notes.includes(msg)) notes.push(msg);
          f = await buildMlsFixture({ suite: e.suite, n, tree });
        }
        let side: TsSide | undefined = f.ts;
        if (side === undefined && e.ts !== undefined && n <= tsMaxN)
          side = await nativeTsSide(e.ts.impl, n, tree);
        progress.tick();
        for (const r of await hpqGroupOps(f.hpq, OPS, ctx))
          rows.push(toRow({ impl: "hpqmls", suite: e.id, n, tree }, r, { name, run }));
        if (side !== undefined && e.ts && tsExtra)
          for (const r of await tsGroupOps(side, OPS, ctx))
            rows.push(
              toRow({ impl: "ts-mls", suite: e.ts.match.id, n, tree: side.tree }, r, tsExtra),
            );
        else if (e.ts !== undefined) progress.tick(OPS.length);
      }
  }
  progress.finish();
  printSuites(rows, entries, sizes, trees, {
    machine: machineLine(machine),
    budgetMs,
    quick: args.quick,
    notes,
  });
  if (args.json !== undefined) {
    writeJson(args.json, rows);
    out(`wrote ${rows.length} rows to ${args.json}`);
  }
  return 0;
}

function printSuites(
  rows: readonly Row[],
  entries: readonly SuiteEntry[],
  sizes: readonly number[],
  trees: readonly Tree[],
  o: { machine: string; budgetMs: number; quick: boolean; notes: readonly string[] },
): void {
  out("# hpqmls cipher suites");
  out();
  out(o.machine);
  out();
  out(
    `Median ms after warm-up (${o.budgetMs} ms of samples per operation${o.quick ? ", --quick" : ""}); ` +
      `${trees.join(" and ")} trees; ts-mls rows under the hpqmls suite they compare with ("≈": nearest, not identical, primitives).`,
  );
  for (const n of o.notes) out(`\n> ${n}`);
  out();
  const label = (e: SuiteEntry, impl: "hpqmls" | "ts-mls") =>
    impl === "hpqmls"
      ? `${hexSuite(e.id)} ${e.suite.name}`
      : `  ts-mls ${e.ts!.match.match === "exact" ? "" : "≈ "}${e.ts!.match.id}`;
  const lines = (f: (e: SuiteEntry, impl: "hpqmls" | "ts-mls", suite: number) => string[]) => {
    const t: string[][] = [];
    for (const e of entries) {
      t.push([label(e, "hpqmls"), ...f(e, "hpqmls", e.id)]);
      if (e.ts) t.push([label(e, "ts-mls"), ...f(e, "ts-mls", e.ts.match.id)]);
    }
    return t;
  };
  out("## Key packages");
  out();
  out(
    mdTable(
      ["suite", "ms", "bytes"],
      lines((_, impl, suite) => {
        const r = findRow(rows, { impl, suite, n: 0, op: "keyPackage" });
        return [fmtMs(r?.medianMs), fmtBytes(r?.bytes)];
      }),
    ),
  );
  out();
  for (const tree of trees)
    for (const n of sizes) {
      out(`## N=${n}, ${tree} tree`);
      out();
      // ts-mls rows from a ts-mls-only group have a sparse tree whatever was asked (marked *).
      const get = (impl: string, suite: number, op: string) =>
        findRow(rows, { impl, suite, n, tree, op }) ??
        (impl === "ts-mls" ? findRow(rows, { impl, suite, n, op }) : undefined);
      const mark = (r: Row | undefined) => (r !== undefined && r.tree !== tree ? "*" : "");
      out(
        mdTable(
          [
            "suite",
            "commit create ms",
            "commit process ms",
            "commit bytes",
            "encrypt ms",
            "decrypt ms",
          ],
          lines((_, impl, suite) => [
            `${mark(get(impl, suite, "commitCreate"))}${fmtMs(get(impl, suite, "commitCreate")?.medianMs)}`,
            `${mark(get(impl, suite, "commitProcess"))}${fmtMs(get(impl, suite, "commitProcess")?.medianMs)}`,
            `${mark(get(impl, suite, "commitCreate"))}${fmtBytes(get(impl, suite, "commitCreate")?.bytes)}`,
            fmtMs(get(impl, suite, "appEncrypt")?.medianMs),
            fmtMs(get(impl, suite, "appDecrypt")?.medianMs),
          ]),
        ),
      );
      if (rows.some((r) => r.impl === "ts-mls" && r.n === n && r.tree !== tree))
        out(
          "\n\\* a ts-mls-only group (sparse tree): ts-mls could not join hpqmls's group of this suite.",
        );
      out();
    }
}
