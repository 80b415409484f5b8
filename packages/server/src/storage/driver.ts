/**
 * The few operations the shared SQL needs from a PostgreSQL connection, implemented by the
 * PGlite (embedded) and node-postgres drivers. All queries live in sqlStorage.ts.
 *
 * Drivers return BIGINT (int8) columns as JavaScript numbers and BYTEA as Uint8Array.
 */
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface SqlDriver extends SqlExecutor {
  readonly name: "pglite" | "postgres";
  /** True when other processes may write to the same database (NOTIFY must be listened to). */
  readonly shared: boolean;
  /** Runs `fn` in one transaction (READ COMMITTED); rolls back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * LISTENs on a channel. `onReconnect` is called after the listening connection was lost and
   * re-established (notifications may have been missed meanwhile). Returns an unlisten function.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The database cannot be reached; the API answers 503 with Retry-After. */
export class StorageUnavailableError extends Error {
  override readonly name = "StorageUnavailableError";
  constructor(cause: unknown) {
    super(`the database is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

const CONNECTIVITY_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** True for errors that mean "the database is not reachable" rather than "this query is wrong". */
export function isConnectivityError(e: unknown): boolean {
  if (e instanceof StorageUnavailableError) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTIVITY_CODES.has(code) || code.startsWith("08")))
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|PGlite is closed|Cannot use a pool after calling end/i.test(
    e.message,
  );
}

/** Rethrows connectivity errors as StorageUnavailableError, others unchanged. */
export function mapDriverError(e: unknown): never {
  if (isConnectivityError(e) && !(e instanceof StorageUnavailableError))
    throw new StorageUnavailableError(e);
  throw e;
}

/** The SQLSTATE of a database error, if any. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
