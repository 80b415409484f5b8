import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The `hpqmls` command as a user runs it: the built bin (npm ci builds the workspace; `npm test`
 * runs `tsc -b` first) in a child process, its exit codes and what it prints.
 */
const BIN = fileURLToPath(new URL("../bin/hpqmls.mjs", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hpqmls ${args.join(" ")} did not finish: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves with the first stdout line matching `re` (the child keeps running). */
function waitForLine(
  child: ChildProcess,
  re: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${re} in: ${buf}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (d) => {
      buf += d;
      const m = buf.match(re);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.on("close", (code) => reject(new Error(`exited ${code} before ${re}: ${buf}`)));
  });
}

describe.skipIf(!existsSync(join(BIN, "..", "..", "dist", "main.js")))("hpqmls", () => {
  it("prints its usage: exit 2 without a command, 0 for help, 2 for an unknown command", async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/usage: hpqmls <command>/);
    const help = await run(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/serve.*\n.*demo/s);
    const bad = await run(["frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command frobnicate/);
  });

  it("demo: three clients on an embedded server, a summary, exit 0", async () => {
    const r = await run(["demo", "--clients", "3"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /hpqmls demo: 3 clients against http:\/\/127\.0\.0\.1:\d+ \(embedded server\)/,
    );
    expect(r.stdout).toMatch(/FULL commits +[1-9]/);
    expect(r.stdout).toMatch(/PARTIAL commits +[1-9]/);
    expect(r.stdout).toMatch(/members at the end +2 of 3/);
  });

  it("demo refuses a bad --clients value with exit 2", async () => {
    const r = await run(["demo", "--clients", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--clients/);
  });

  it("serve: prints the URL and docs, answers /healthz, stops on SIGTERM with exit 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hpqmls-cli-"));
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: { ...process.env, PORT: "0", HPQMLS_DATA_DIR: dir, LOG_LEVEL: "silent" },
    });
    try {
      const [, url] = await waitForLine(child, /delivery service: (http:\/\/127\.0\.0\.1:\d+)/);
      const health = await fetch(`${url}/healthz`);
      expect((await fetch(`${url}/console`)).status).toBe(200);
      expect(health.status).toBe(200);
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("serve refuses a bad PORT with exit 2 and names the variable", async () => {
    const r = await run(["serve"], { PORT: "eighty" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PORT must be an integer/);
  });
});
