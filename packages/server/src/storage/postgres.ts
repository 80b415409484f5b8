import type pg from "pg";
import type { Row, SqlDriver, SqlExecutor } from "./driver.js";
import { SqlStorage } from "./sqlStorage.js";

const INT8 = 20;
const BYTEA = 17;

type Pg = typeof pg;
let loaded: Promise<Pg> | undefined;
/** node-postgres, loaded only when PostgreSQL is used. */
function loadPg(): Promise<Pg> {
  loaded ??= import("pg").then((m) => (m as unknown as { default: Pg }).default ?? (m as Pg));
  return loaded;
}

/**
 * int8 as a JavaScript number (sequence numbers, epochs and times stay far below 2^53) and
 * bytea as a plain Uint8Array, as PGlite returns them.
 */
function typesOf(driver: Pg) {
  const parse = (oid: number, format?: "text" | "binary") => {
    if (format !== "binary" && oid === INT8) return (v: string) => Number(v);
    if (format !== "binary" && oid === BYTEA) {
      const fallback = driver.types.getTypeParser(BYTEA, "text") as (v: string) => Buffer;
      return (v: string) =>
        v.startsWith("\\x")
          ? new Uint8Array(Buffer.from(v.slice(2), "hex"))
          : new Uint8Array(fallback(v));
    }
    return driver.types.getTypeParser(oid, format as "text");
  };
  return { getTypeParser: parse as Pg["types"]["getTypeParser"] };
}

export interface PostgresOptions {
  readonly connectionString: string;
  /** A schema to use instead of `public` (created if missing), e.g. one per test run. */
  readonly schema?: string;
  readonly maxConnections?: number;
  /** ms before a query without an answer fails (default 30 000). */
  readonly queryTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The PostgreSQL backend (node-postgres): a pool for queries and one dedicated connection that
 * LISTENs for messages accepted by other instances, re-established when it drops.
 */
export class PostgresDriver implements SqlDriver {
  readonly name = "postgres" as const;
  readonly shared = true;
  private readonly listeners = new Set<pg.Client>();
  private closed = false;

  private constructor(
    private readonly pg: Pg,
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
  ) {}

  static async open(o: PostgresOptions): Promise<PostgresDriver> {
    if (o.schema !== undefined && !SCHEMA_NAME.test(o.schema))
      throw new Error(`invalid schema name "${o.schema}"`);
    const pg = await loadPg();
    const clientConfig: pg.ClientConfig = {
      connectionString: o.connectionString,
      types: typesOf(pg),
      connectionTimeoutMillis: 5000,
      // A link that dies without a FIN (a cut network, a frozen host) is found by TCP
      // keep-alive instead of blocking its pooled connection forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(o.schema === undefined ? {} : { options: `-c search_path=${o.schema}` }),
    };
    // A query that gets no answer fails after 30 s (the app's default handler timeout), which
    // releases its connection to the pool; the server answers 503 either way.
    const pool = new pg.Pool({
      ...clientConfig,
      max: o.maxConnections ?? 10,
      query_timeout: o.queryTimeoutMs ?? 30_000,
    });
    // An idle client losing its connection must not crash the process.
    pool.on("error", () => {});
    try {
      if (o.schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
      else await pool.query("SELECT 1");
    } catch (e) {
      await pool.end().catch(() => {});
      throw e;
    }
    return new PostgresDriver(pg, pool, clientConfig);
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const r = await this.pool.query<T>(sql, [...params]);
    return r.rows;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await fn({
        query: async <R extends Row = Row>(sql: string, params: readonly unknown[] = []) =>
          (await client.query<R>(sql, [...params])).rows,
      });
      await client.query("COMMIT");
      return result;
    } catch (e) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name "${channel}"`);
    let current: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (isRetry: boolean): Promise<void> => {
      const client = new this.pg.Client(this.clientConfig);
      const lost = () => {
        if (current !== client) return;
        current = undefined;
        this.listeners.delete(client);
        client.end().catch(() => {});
        if (!stopped && !this.closed) retry = setTimeout(() => void connect(true), 1000);
      };
      client.on("error", lost);
      client.on("end", lost);
      client.on("notification", (n) => {
        if (n.channel === channel && n.payload !== undefined) onPayload(n.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (e) {
        client.end().catch(() => {});
        if (!isRetry) throw e;
        if (!stopped && !this.closed) retry = setTimeout(() => void connect(true), 1000);
        return;
      }
      current = client;
      this.listeners.add(client);
      if (isRetry) onReconnect?.();
    };
    await connect(false);
    return async () => {
      stopped = true;
      clearTimeout(retry);
      const c = current;
      current = undefined;
      if (c !== undefined) {
        this.listeners.delete(c);
        await c.end().catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((c) => c.end().catch(() => {})));
    await this.pool.end();
  }
}

/** Storage over PostgreSQL; several instances may share the database. */
export async function openPostgresStorage(o: PostgresOptions): Promise<SqlStorage> {
  const driver = await PostgresDriver.open(o);
  const channel = o.schema === undefined ? "hpqmls_messages" : `hpqmls_messages_${o.schema}`;
  return SqlStorage.open(driver, channel);
}
