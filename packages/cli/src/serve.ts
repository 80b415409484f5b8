import { consoleOptionsFromEnv, loadConfig, startServer } from "@hpqmls/server";
import type { Args } from "./args.js";
import { UsageError } from "./args.js";

/**
 * `hpqmls serve`: the delivery service configured from the environment (PORT, HOST,
 * HPQMLS_DATA_DIR, DATABASE_URL); prints the URL and the docs URL, runs until SIGINT/SIGTERM.
 */
export async function serve(_args: Args, out: (line: string) => void): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  let consoleEnabled: boolean;
  try {
    config = loadConfig();
    consoleEnabled = consoleOptionsFromEnv().enabled;
  } catch (e) {
    if (e instanceof Error) throw new UsageError(e.message); // ConfigError, or a bad console token
    throw e;
  }
  const server = await startServer(config);
  out(`hpqmls delivery service: ${server.url}`);
  out(`API docs: ${server.url}/docs (OpenAPI: ${server.url}/openapi.json)`);
  if (consoleEnabled)
    out(`web console: ${server.url}/console (chat demo: ${server.url}/console/chat)`);
  out(
    `storage: ${config.databaseUrl === undefined ? `PGlite in ${config.dataDir}` : "PostgreSQL"}`,
  );
  return await new Promise<number>((resolve) => {
    const stop = () => {
      server.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
