import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import {
  type AppOptions,
  buildApp,
  openPgliteStorage,
  openPostgresStorage,
  PgliteDriver,
  type SqlStorage,
  TABLES,
} from "@hpqmls/server";
import type { FastifyInstance } from "fastify";
import { installPgInterop } from "./pgInterop.js";

/**
 * Test backends: one PGlite instance per test file (opening a new data directory takes
 * seconds), emptied between tests; and PostgreSQL in a fresh schema when DATABASE_URL_TEST is
 * set (see .ci/postgres.sh).
 */
export interface Backend {
  readonly name: "pglite" | "postgres";
  /** A storage over the backend (fresh handle, same database). */
  open(): Promise<SqlStorage>;
  /** Empties every table. */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export const DATABASE_URL_TEST = process.env.DATABASE_URL_TEST;

let warned = false;
export function postgresSkipReason(): string | undefined {
  if (DATABASE_URL_TEST !== undefined && DATABASE_URL_TEST !== "") return undefined;
  const reason =
    "PostgreSQL tests skipped: DATABASE_URL_TEST is not set (source .ci/postgres.sh to run them)";
  if (!warned) {
    warned = true;
    console.info(reason);
  }
  return reason;
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

async function truncate(storage: SqlStorage): Promise<void> {
  await storage.driver.query(`TRUNCATE ${TABLES.join(", ")} RESTART IDENTITY CASCADE`);
}

export async function pgliteBackend(): Promise<Backend> {
  const dir = await tempDir("hpqmls-pglite-");
  const db: PGlite = await PgliteDriver.create(dir.path);
  const admin = await openPgliteStorage(db);
  return {
    name: "pglite",
    open: () => openPgliteStorage(db),
    reset: () => truncate(admin),
    async dispose() {
      await admin.close();
      await db.close();
      await dir.remove();
    },
  };
}

export async function postgresBackend(): Promise<Backend> {
  installPgInterop();
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const options = { connectionString: DATABASE_URL_TEST!, schema, maxConnections: 8 };
  const admin = await openPostgresStorage(options);
  return {
    name: "postgres",
    open: () => openPostgresStorage(options),
    reset: () => truncate(admin),
    async dispose() {
      await admin.driver.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

/**
 * Row counts and group epochs: what a refused request must leave unchanged (the nonces of
 * signed requests aside: every authenticated request records one).
 */
export async function stateOf(storage: SqlStorage): Promise<string> {
  const parts: string[] = [];
  for (const t of TABLES.filter((x) => x !== "nonces")) {
    const [r] = await storage.driver.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    parts.push(`${t}=${r?.n}`);
  }
  const groups = await storage.driver.query(
    "SELECT group_id, t_epoch, pq_epoch, last_seq, group_info_t_epoch FROM groups ORDER BY group_id",
  );
  const members = await storage.driver.query(
    "SELECT group_id, encode(identity, 'hex') AS id, removed_seq FROM members ORDER BY 1, 2",
  );
  return JSON.stringify({ parts, groups, members });
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** An app over `storage` listening on loopback (port 0 unless given). */
export async function listen(options: AppOptions, port = 0): Promise<TestServer> {
  const app = await buildApp({ rateLimit: 100_000, ...options });
  await app.listen({ port, host: "127.0.0.1" });
  const address = app.server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    app,
    close: () => app.close(),
  };
}

/** An HTTP answer with its body parsed as JSON (`{}` when it is not JSON). */
export interface Reply {
  status: number;
  headers: Headers;
  json: { error?: { code: string; message: string } & Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

/** One HTTP request as a client would send it (JSON content type when there is a body). */
export async function httpRequest(
  url: string,
  method: string,
  o: { body?: Uint8Array; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(o.body === undefined ? {} : { "content-type": "application/json" }),
      ...o.headers,
    },
    ...(o.body === undefined ? {} : { body: o.body }),
  });
  const text = await res.text();
  let json = {};
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, json: json as Reply["json"] };
}
