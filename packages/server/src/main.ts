#!/usr/bin/env node
import { ConfigError, loadConfig } from "./config.js";
import { startServer } from "./server.js";

/** `node dist/main.js`: the service configured from the environment. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`hpqmls-server: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const server = await startServer(config);
  const stop = (signal: string) => {
    server.app.log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`hpqmls-server: ${(e as Error).message}\n`);
  process.exit(1);
});
