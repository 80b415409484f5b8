import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * The delivery service as a real child process (`node --import tsx --conditions=source
 * src/main.ts`, or `node dist/main.js`): one process, so `kill -9` of its pid kills the server
 * itself (the tsx CLI would put a wrapper process in between).
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN_SOURCE = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const MAIN_DIST = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export interface SpawnOptions {
  /** Extra environment (PORT and HOST are set here). */
  readonly env?: Readonly<Record<string, string>>;
  /** Listen port; default a free one. Restarting on the same port keeps client URLs valid. */
  readonly port?: number;
  /** Run dist/main.js (after `tsc -b`) instead of the TypeScript sources. */
  readonly fromDist?: boolean;
  /** How long to wait for /readyz (default 60 s: a new PGlite directory takes seconds). */
  readonly readyTimeoutMs?: number;
}

export interface SpawnedServer {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** The last 16 KiB of the server's stdout and stderr (for diagnostics). */
  output(): string;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (graceful), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const address = s.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise((r) => s.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function spawnServer(o: SpawnOptions = {}): Promise<SpawnedServer> {
  const port = o.port ?? (await freePort());
  const args = o.fromDist
    ? [MAIN_DIST]
    : ["--import", "tsx", "--conditions=source", "--no-warnings", MAIN_SOURCE];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      ...o.env,
      PORT: String(port),
      HOST: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (c: Buffer) => {
    out = (out + c.toString("utf8")).slice(-16_384);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn the server");
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exit !== undefined)
      throw new Error(`the server exited (${JSON.stringify(exit)}) before it was ready:\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server was not ready within the timeout:\n${out}`);
    }
    await sleep(100);
  }

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (exit === undefined) child.kill(signal);
    return exited;
  };
  return {
    pid,
    port,
    url,
    output: () => out,
    kill,
    async stop() {
      if (exit !== undefined) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await kill("SIGTERM");
      clearTimeout(timer);
    },
  };
}
