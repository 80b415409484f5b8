/**
 * Turns a hang into an error. Node.js 20 can deadlock inside `node:crypto` (see keygenShim.ts);
 * the main thread then sleeps for ever. A worker thread watches the main thread's CPU time
 * (Linux /proc) and, if it has not moved for `stallSeconds`, says so on stderr and kills the
 * process (exit status 137) instead of letting a benchmark hang silently. Benchmarks never wait
 * idle that long (all their work is on the main thread), so this cannot fire on a slow run.
 */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";

const WORKER = `
const { readFileSync, writeSync } = require("node:fs");
const { workerData } = require("node:worker_threads");
const { pid, stallSeconds } = workerData;
const path = "/proc/" + pid + "/task/" + pid + "/stat";
const cpu = () => {
  const s = readFileSync(path, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
};
let last = cpu();
let since = Date.now();
setInterval(() => {
  const now = cpu();
  if (now !== last) { last = now; since = Date.now(); return; }
  if (Date.now() - since >= stallSeconds * 1000) {
    writeSync(2, "\\nbench: the main thread has used no CPU for " + stallSeconds + " s: it is deadlocked " +
      "(a known Node.js crypto deadlock, see bench/README.md). Killing the run; run it again.\\n");
    process.kill(pid, "SIGKILL");
  }
}, 2000);
`;

let started = false;

/** Starts the watchdog (Linux only; a no-op elsewhere). */
export function startWatchdog(stallSeconds = 60): boolean {
  if (started || process.env.BENCH_NO_WATCHDOG === "1") return started;
  const path = `/proc/${process.pid}/task/${process.pid}/stat`;
  if (!existsSync(path)) return false;
  const w = new Worker(WORKER, { eval: true, workerData: { pid: process.pid, stallSeconds } });
  w.unref();
  started = true;
  return true;
}
