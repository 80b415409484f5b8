import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONFIG, startServer } from "@hpqmls/server";

/** A delivery service on loopback over a throw-away PGlite directory (for `demo`). */
export async function startEmbedded(): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "hpqmls-demo-"));
  const server = await startServer(
    { ...DEFAULT_CONFIG, port: 0, dataDir, logLevel: "warn", rateLimit: 100_000 },
    { processMetrics: false },
  );
  return {
    url: server.url,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
