import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LoadRun, setupGroups } from "./driver.js";
import { type SpawnedServer, spawnServer } from "./server.js";

/**
 * `npm run loadtest [-- --clients 16 --groups 8 --members 4 --seconds 10 --messages 20000
 * --backend pglite|postgres --from-dist]`: a loopback load test of the delivery service, spawned
 * as a child process over a fresh PGlite directory, or over PostgreSQL (DATABASE_URL, in a
 * throw-away schema). Prints throughput and latency, then checks that every accepted message
 * was read back exactly once; ends with `lost: N, duplicated: N`. Exit code 1 if anything was
 * lost or duplicated, or any request got an error answer.
 */

const USAGE = `usage: npm run loadtest -- [options]
  --clients N      clients posting and reading (default 16)
  --groups N       groups (default 8)
  --members N      members per group, ≤ clients (default 4)
  --seconds S      how long to post (default 10, at most 300)
  --messages N     stop after N accepted messages (default 20000)
  --backend B      pglite (default: a fresh data directory) or postgres (DATABASE_URL)
  --from-dist      run packages/server/dist/main.js (after tsc -b) instead of the sources`;

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    process.stderr.write(`--${name} must be a number in (0, ${max}] (got "${raw}")\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        clients: { type: "string" },
        groups: { type: "string" },
        members: { type: "string" },
        seconds: { type: "string" },
        messages: { type: "string" },
        backend: { type: "string" },
        "from-dist": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const str = (k: string) => values[k] as string | undefined;
  const clients = Math.floor(positive("clients", str("clients"), 16, 1000));
  const groups = Math.floor(positive("groups", str("groups"), 8, 1000));
  const members = Math.floor(positive("members", str("members"), Math.min(4, clients), clients));
  const seconds = positive("seconds", str("seconds"), 10, 300);
  const maxMessages = Math.floor(positive("messages", str("messages"), 20_000, 10_000_000));
  const backend = str("backend") ?? "pglite";
  if (backend !== "pglite" && backend !== "postgres") {
    process.stderr.write(`--backend must be pglite or postgres\n${USAGE}\n`);
    return 2;
  }

  const cleanups: (() => Promise<void>)[] = [];
  const env: Record<string, string> = { HPQMLS_RATE_LIMIT: "100000000" };
  let where: string;
  if (backend === "pglite") {
    const dir = await mkdtemp(join(tmpdir(), "hpqmls-loadtest-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    env.HPQMLS_DATA_DIR = dir;
    where = `PGlite in ${dir}`;
  } else {
    const url = process.env.DATABASE_URL;
    if (url === undefined || url === "") {
      process.stderr.write("--backend postgres needs DATABASE_URL\n");
      return 2;
    }
    const schema = `loadtest_${randomBytes(5).toString("hex")}`;
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    });
    const u = new URL(url);
    u.searchParams.set("options", `-c search_path=${schema}`);
    env.DATABASE_URL = u.toString();
    where = `PostgreSQL ${u.host}${u.pathname}, schema ${schema}`;
  }

  const out = (line: string) => process.stdout.write(`${line}\n`);
  let server: SpawnedServer | undefined;
  let run: LoadRun | undefined;
  let failed = false;
  let last = "";
  try {
    out(`hpqmls load test: ${clients} clients, ${groups} groups × ${members} members, ${where}`);
    const t0 = performance.now();
    server = await spawnServer({ env, fromDist: values["from-dist"] === true });
    out(`server pid ${server.pid} on ${server.url} (ready in ${ms(t0)})`);
    const t1 = performance.now();
    const fixture = await setupGroups(server.url, { clients, groups, membersPerGroup: members });
    out(`setup: ${clients} clients registered, ${groups} groups created in ${ms(t1)}`);
    out(`posting for up to ${seconds} s or ${maxMessages} accepted messages…`);

    run = new LoadRun(fixture, server.url);
    run.start();
    const deadline = performance.now() + seconds * 1000;
    let tick = performance.now() + 2000;
    while (performance.now() < deadline && run.acceptedCount < maxMessages) {
      await new Promise((r) => setTimeout(r, 20));
      if (performance.now() >= tick) {
        tick += 2000;
        out(`  ${run.seconds.toFixed(0)} s: ${run.acceptedCount} accepted, ${run.readCount} read`);
      }
    }
    await run.stopPosting();
    await run.drain();
    for (const line of run.report()) out(line);

    const v = run.verify();
    for (const g of v.groups)
      out(
        `group ${g.groupId.slice(0, 12)}…: ${g.accepted} accepted, read back by its ${g.readBy.length} members: ${g.readBy.join("/")}` +
          (g.lost + g.duplicated + g.phantom + g.misordered > 0
            ? ` (lost ${g.lost}, duplicated ${g.duplicated}, unexpected ${g.phantom}, misordered ${g.misordered})`
            : ""),
      );
    const store = await run.verifyStore();
    out(
      `store: ${store.accepted} of ${run.acceptedCount} accepted messages stored, seqs ${store.gapless ? "gapless" : "NOT gapless"}` +
        (store.lost + store.duplicated > 0
          ? ` (lost ${store.lost}, duplicated ${store.duplicated})`
          : ""),
    );
    if (v.phantom + v.misordered > 0)
      out(`unexpected messages: ${v.phantom}, out of order: ${v.misordered}`);
    const lost = v.lost + store.lost;
    const duplicated = v.duplicated + store.duplicated;
    failed =
      lost > 0 ||
      duplicated > 0 ||
      v.phantom > 0 ||
      v.misordered > 0 ||
      !store.gapless ||
      run.errorCount > 0;
    last = `lost: ${lost}, duplicated: ${duplicated}`;
  } catch (e) {
    failed = true;
    process.stderr.write(`load test failed: ${(e as Error).stack ?? String(e)}\n`);
    if (server !== undefined) process.stderr.write(`server output:\n${server.output()}\n`);
    if (run !== undefined) {
      const v = run.verify();
      last = `lost: ${v.lost}, duplicated: ${v.duplicated}`;
    }
  } finally {
    await server?.stop().catch(() => {});
    for (const c of cleanups) await c().catch(() => {});
  }
  if (last !== "") out(last);
  return failed ? 1 : 0;
}

function ms(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
