/**
 * The long-running fuzz driver (issue #9): the properties of packages/mls-core/test/fuzz, run
 * round-robin under one time budget with fast-check, from one printed seed.
 *
 *   tsx --conditions=source test/fuzz/run.ts [--seconds 60] [--seed N] [--only SUBSTRING]
 *   tsx --conditions=source test/fuzz/run.ts --list
 *   tsx --conditions=source test/fuzz/run.ts --replay test/fuzz/crashes/<name>-<seed>.hex
 *
 * Properties: every wire decoder (random bytes and mutations of valid encodings; typed errors
 * only, canonical re-encoding), MlsGroup.process and ApqSession.process with mutated messages
 * (typed errors only, state unchanged, originals still process), insider mutations re-signed by
 * the sending member, and MlsGroup.join with mutated Welcomes.
 *
 * On a failure it writes the (shrunk) counterexample as hex to
 * test/fuzz/crashes/<property>-<seed>.hex, keeps fuzzing the other properties, and exits 1.
 * `--replay` runs the property named by such a file on its bytes; `--seed` with `--only` reruns
 * the same generated sequence. `--selftest` runs one planted failure (exit 1 expected).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  checkDecoder,
  decoderInputArb,
  describeError,
  FuzzFailure,
  fromHexString,
  mutatedArb,
  seedsOf,
  toHexString,
} from "../../packages/mls-core/test/fuzz/arbitraries.js";
import { decoderTargets } from "../../packages/mls-core/test/fuzz/corpus.js";
import {
  apqFixture,
  checkInsider,
  checkJoin,
  checkOriginals,
  checkProcess,
  joinFixture,
  mlsFixture,
  type ProcessFixture,
} from "../../packages/mls-core/test/fuzz/processFixtures.js";

const CRASH_DIR = join(dirname(fileURLToPath(import.meta.url)), "crashes");

interface Options {
  seconds: number;
  seed: number;
  only: string | undefined;
  replay: string | undefined;
  list: boolean;
  selftest: boolean;
}

function usage(message: string): never {
  console.error(`${message}
usage: tsx --conditions=source test/fuzz/run.ts [--seconds N] [--seed N] [--only SUBSTRING]
       tsx --conditions=source test/fuzz/run.ts --list
       tsx --conditions=source test/fuzz/run.ts --replay FILE.hex
       tsx --conditions=source test/fuzz/run.ts --selftest   (a planted failure: must exit 1)`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    seconds: 60,
    seed: (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0,
    only: undefined,
    replay: undefined,
    list: false,
    selftest: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--seconds") {
      o.seconds = Number(value());
      if (!Number.isFinite(o.seconds) || o.seconds <= 0) usage("--seconds must be positive");
    } else if (a === "--seed") {
      o.seed = Number.parseInt(value(), 10) | 0;
      if (Number.isNaN(o.seed)) usage("--seed must be an integer");
    } else if (a === "--only") o.only = value();
    else if (a === "--replay") o.replay = value();
    else if (a === "--list") o.list = true;
    else if (a === "--selftest") o.selftest = true;
    else if (a === "--help" || a === "-h") usage("");
    else usage(`unknown argument ${a}`);
  }
  return o;
}

/** One fuzzed property: an input generator and the check of one input. */
interface Property {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<Uint8Array>;
  check(input: Uint8Array): void | Promise<void>;
  /** Checks after fuzzing (the valid originals still process). */
  finish?(): Promise<void>;
}

function processProperties(f: ProcessFixture): Property[] {
  return f.cases.map((c, i) => ({
    name: `process:${f.name}:${c.name}`,
    arbitrary: mutatedArb([{ bytes: c.bytes, sites: c.sites }], c.avoid),
    check: (b: Uint8Array) => checkProcess(f, c, b),
    ...(i === 0 ? { finish: () => checkOriginals(f) } : {}),
  }));
}

/** A property that fails on any input holding the byte 0x42: checks the crash pipeline. */
const SELFTEST: Property = {
  name: "selftest:planted-failure",
  arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  check: (b) => {
    if (b.includes(0x42)) throw new FuzzFailure("planted failure on byte 0x42", b);
  },
};

async function buildProperties(): Promise<Property[]> {
  const [targets, mls, apqPrivate, apqPublic, join] = await Promise.all([
    decoderTargets(),
    mlsFixture(),
    apqFixture(),
    apqFixture({ publicHandshakes: true }),
    joinFixture(),
  ]);
  return [
    ...targets.map((t) => ({
      name: `decoder:${t.name}`,
      arbitrary: decoderInputArb(seedsOf(t)),
      check: (b: Uint8Array) => checkDecoder(t, b),
    })),
    ...processProperties(mls),
    ...processProperties(apqPrivate),
    ...processProperties(apqPublic),
    ...mls.insider.cases.map((c) => ({
      name: `insider:${c.name}`,
      arbitrary: mutatedArb([{ bytes: c.content, sites: c.sites }], c.avoid),
      check: (b: Uint8Array) => checkInsider(mls.insider, c, b),
    })),
    {
      name: "join:Welcome",
      arbitrary: mutatedArb([{ bytes: join.welcome, sites: join.sites }]),
      check: (b: Uint8Array) => checkJoin(join, b),
    },
  ];
}

function fileNameOf(property: string, seed: number): string {
  return `${property.replace(/[^A-Za-z0-9._-]+/g, "_")}-${seed}.hex`;
}

function writeCrash(property: string, seed: number, input: Uint8Array): string {
  mkdirSync(CRASH_DIR, { recursive: true });
  const file = join(CRASH_DIR, fileNameOf(property, seed));
  writeFileSync(file, `${toHexString(input)}\n`);
  return file;
}

async function replay(file: string, properties: readonly Property[]): Promise<number> {
  const stem = basename(file).replace(/-(-?\d+)\.hex$/, "");
  const p = properties.find((x) => fileNameOf(x.name, 0).replace(/-0\.hex$/, "") === stem);
  if (p === undefined) usage(`no property matches ${basename(file)} (see --list)`);
  const input = fromHexString(readFileSync(file, "utf8"));
  console.log(`replaying ${p.name} on ${input.length} bytes`);
  try {
    await p.check(input);
  } catch (e) {
    console.error(`FAILED: ${describeError(e)}`);
    if (e instanceof FuzzFailure && e.cause !== undefined) console.error(e.cause);
    return 1;
  }
  console.log("passed (fixed, or the failure depended on state built up before it)");
  return 0;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const start = Date.now();
  const deadline = start + o.seconds * 1000;
  const all = [...(await buildProperties()), ...(o.selftest ? [SELFTEST] : [])];
  if (o.list) {
    for (const p of all) console.log(p.name);
    return 0;
  }
  if (o.replay !== undefined) return replay(o.replay, all);
  const only = o.selftest ? SELFTEST.name : o.only;
  const properties = only === undefined ? all : all.filter((p) => p.name.includes(only));
  if (properties.length === 0) usage(`no property matches --only ${only}`);
  console.log(
    `fuzzing ${properties.length} properties for ${o.seconds} s, seed ${o.seed} ` +
      `(setup took ${Date.now() - start} ms)`,
  );

  const runs = new Map<string, number>();
  const failed = new Set<string>();
  let round = 0;
  while (Date.now() < deadline && failed.size < properties.length) {
    const active = properties.filter((p) => !failed.has(p.name));
    const slice = Math.min(
      5_000,
      Math.max(50, Math.floor((deadline - Date.now()) / active.length / Math.max(1, 3 - round))),
    );
    for (const [i, p] of active.entries()) {
      if (Date.now() >= deadline) break;
      const seed = (o.seed + round * 1_000_003 + i * 7_919) | 0;
      const property = fc.asyncProperty(p.arbitrary, async (b) => {
        await p.check(b);
      });
      const details = await fc.check(property, {
        seed,
        numRuns: 1_000_000_000,
        plugins: [fc.interruptAfterTimeLimit(slice)],
      });
      runs.set(p.name, (runs.get(p.name) ?? 0) + details.numRuns);
      if (!details.failed) continue;
      failed.add(p.name);
      const input = (details.counterexample as readonly unknown[] | null)?.[0];
      const error = details.errorInstance;
      console.error(`\nFAILED ${p.name} (seed ${seed}, path ${details.counterexamplePath})`);
      console.error(`  ${describeError(error)}`);
      if (input instanceof Uint8Array) {
        const file = writeCrash(p.name, seed, input);
        console.error(`  counterexample (${input.length} bytes): ${file}`);
        console.error(`  replay: tsx --conditions=source test/fuzz/run.ts --replay ${file}`);
      }
      console.error(
        `  rerun:  tsx --conditions=source test/fuzz/run.ts --only '${p.name}' --seed ${seed}`,
      );
    }
    round++;
  }

  for (const p of properties) {
    if (p.finish === undefined || failed.has(p.name)) continue;
    try {
      await p.finish();
    } catch (e) {
      failed.add(p.name);
      console.error(`\nFAILED ${p.name} (after fuzzing): ${describeError(e)}`);
      if (e instanceof FuzzFailure && e.input !== undefined)
        console.error(`  counterexample: ${writeCrash(p.name, o.seed, e.input)}`);
    }
  }

  const total = [...runs.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\n${total} inputs over ${properties.length} properties in ${round} rounds ` +
      `(${((Date.now() - start) / 1000).toFixed(1)} s), seed ${o.seed}: ` +
      (failed.size === 0 ? "no failures" : `${failed.size} FAILED`),
  );
  return failed.size === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
