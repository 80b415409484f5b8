import type { ServerConfig } from "../config.js";
import { mapDriverError } from "./driver.js";
import { openPgliteStorage } from "./pglite.js";
import { openPostgresStorage } from "./postgres.js";
import type { Storage } from "./types.js";

export * from "./driver.js";
export { openPgliteStorage, PgliteDriver } from "./pglite.js";
export { openPostgresStorage, PostgresDriver, type PostgresOptions } from "./postgres.js";
export { MIGRATIONS, migrate, TABLES } from "./sql.js";
export { SqlStorage } from "./sqlStorage.js";
export * from "./types.js";

/** PostgreSQL when `databaseUrl` is set, else PGlite in `dataDir`. */
export async function openStorage(
  config: Pick<ServerConfig, "databaseUrl" | "dataDir">,
): Promise<Storage> {
  try {
    return config.databaseUrl !== undefined
      ? await openPostgresStorage({ connectionString: config.databaseUrl })
      : await openPgliteStorage(config.dataDir);
  } catch (e) {
    return mapDriverError(e);
  }
}
