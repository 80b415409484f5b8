import { execFileSync } from "node:child_process";
import { cpus, hostname, platform, release, totalmem } from "node:os";

/** Where and on what a benchmark ran; stored with every result. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly memoryGiB: number;
  readonly host: string;
  /** `git rev-parse HEAD`, or a note when it is not available. */
  readonly commit: string;
  /** True when the work tree had uncommitted changes. */
  readonly dirty: boolean | null;
  /** ISO 8601 time the run started. */
  readonly date: string;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: "pipe" }).trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(now = new Date()): MachineInfo {
  const commit = git(["rev-parse", "HEAD"]);
  const status = commit === undefined ? undefined : git(["status", "--porcelain"]);
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    node: process.version,
    os: `${platform()} ${release()}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    host: hostname(),
    commit: commit ?? "unknown (not a git checkout, or no commit yet)",
    dirty: status === undefined ? null : status.length > 0,
    date: now.toISOString(),
  };
}

/** A file-name-safe machine name: the CPU model and core count, e.g. "amd-epyc-7b13-2c". */
export function machineSlug(m: MachineInfo): string {
  const model = m.cpu
    .toLowerCase()
    .replace(/\((r|tm)\)|cpu|processor|\d+-core|@.*$/g, " ")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${model || "unknown"}-${m.cores}c`;
}

/** YYYY-MM-DD of a date (UTC). */
export function isoDay(d: Date | string): string {
  return (typeof d === "string" ? d : d.toISOString()).slice(0, 10);
}

/** One line for the top of a report. */
export function machineLine(m: MachineInfo): string {
  const dirty = m.dirty === true ? " (uncommitted changes)" : "";
  return `${m.cpu} (${m.cores} cores), Node ${m.node}, ${m.os}; commit ${m.commit.slice(0, 12)}${dirty}; ${m.date}`;
}

/** The `run` record the row benches (core, suites) attach to every row. */
export function runRecord(bench: string, m: MachineInfo, quick: boolean) {
  return { bench, cpu: m.cpu, cores: m.cores, node: m.node, commit: m.commit, date: m.date, quick };
}
