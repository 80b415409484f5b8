import { mkdir } from "node:fs/promises";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Row, SqlDriver, SqlExecutor } from "./driver.js";
import { SqlStorage } from "./sqlStorage.js";

/** PostgreSQL OID of int8: returned as a JavaScript number (sequence numbers, epochs, times). */
const INT8 = 20;

/**
 * The embedded backend: PGlite (PostgreSQL compiled to WebAssembly) over a data directory. One
 * process owns a data directory, so messages reach streams through the in-process emitter.
 */
export class PgliteDriver implements SqlDriver {
  readonly name = "pglite" as const;
  readonly shared = false;

  constructor(
    readonly db: PGlite,
    /** Whether close() closes the PGlite instance (false for an instance shared by tests). */
    private readonly owned: boolean,
  ) {}

  /** Opens (creating if needed) a data directory; a new one takes a few seconds (initdb). */
  static async open(dataDir: string): Promise<PgliteDriver> {
    await mkdir(dataDir, { recursive: true });
    return new PgliteDriver(await PgliteDriver.create(dataDir), true);
  }

  /** A PGlite instance with the parsers the shared SQL expects. */
  static create(dataDir: string): Promise<PGlite> {
    return PGlite.create(dataDir, { parsers: { [INT8]: (x: string) => Number(x) } });
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const r = await this.db.query<T>(sql, [...params]);
    return r.rows;
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx: Transaction) =>
      fn({
        query: async <R extends Row = Row>(sql: string, params: readonly unknown[] = []) =>
          (await tx.query<R>(sql, [...params])).rows,
      }),
    );
  }

  async listen(channel: string, onPayload: (payload: string) => void) {
    const unlisten = await this.db.listen(channel, onPayload);
    return () => unlisten();
  }

  async close(): Promise<void> {
    if (this.owned && !this.db.closed) await this.db.close();
  }
}

/** Storage over a PGlite data directory (created if missing), or over an open PGlite instance. */
export async function openPgliteStorage(source: string | PGlite): Promise<SqlStorage> {
  const driver =
    typeof source === "string" ? await PgliteDriver.open(source) : new PgliteDriver(source, false);
  return SqlStorage.open(driver);
}
