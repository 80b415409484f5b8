/**
 * Service configuration from the environment (packages/server/API.md, "Configuration").
 */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** PGlite data directory, used when `databaseUrl` is absent. */
  readonly dataDir: string;
  /** PostgreSQL connection string; overrides PGlite. */
  readonly databaseUrl: string | undefined;
  /** Maximum request body in bytes. */
  readonly bodyLimit: number;
  /** Requests per minute per client. */
  readonly rateLimit: number;
  readonly logLevel: string;
  /** ms to receive a whole request (headers and body); 408 and closed above; 0: no limit. */
  readonly requestTimeout: number;
  /** ms without traffic before a connection is closed; 0: never. */
  readonly connectionTimeout: number;
  /** ms to answer a received request; 503 above; 0: no limit. */
  readonly handlerTimeout: number;
  /** Open connections at most; more are closed at once. */
  readonly maxConnections: number;
  /** Open event streams at most (503 above). */
  readonly maxStreams: number;
  /** Open event streams per client at most (429 above). */
  readonly maxStreamsPerClient: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: "127.0.0.1",
  dataDir: "./data",
  databaseUrl: undefined,
  bodyLimit: 1024 * 1024,
  rateLimit: 600,
  logLevel: "info",
  requestTimeout: 30_000,
  connectionTimeout: 90_000,
  handlerTimeout: 30_000,
  maxConnections: 10_000,
  maxStreams: 1000,
  maxStreamsPerClient: 8,
};

/** A connection timeout must leave room for the stream heartbeat (every 15 s). */
const MIN_CONNECTION_TIMEOUT = 20_000;

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** Thrown for an environment variable that cannot be used; the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return n;
}

/** Reads the configuration from environment variables, with the documented defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = integer(env, "PORT", DEFAULT_CONFIG.port, 0);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535 (got ${port})`);
  const logLevel = (env.LOG_LEVEL ?? DEFAULT_CONFIG.logLevel).trim().toLowerCase();
  if (!LOG_LEVELS.has(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(", ")}`);
  const databaseUrl = env.DATABASE_URL?.trim();
  const connectionTimeout = integer(
    env,
    "HPQMLS_CONNECTION_TIMEOUT",
    DEFAULT_CONFIG.connectionTimeout,
    0,
  );
  if (connectionTimeout > 0 && connectionTimeout < MIN_CONNECTION_TIMEOUT)
    throw new ConfigError(
      `HPQMLS_CONNECTION_TIMEOUT must be 0 or at least ${MIN_CONNECTION_TIMEOUT} ms, longer than the stream heartbeat (got ${connectionTimeout})`,
    );
  return {
    port,
    host: env.HOST?.trim() || DEFAULT_CONFIG.host,
    dataDir: env.HPQMLS_DATA_DIR?.trim() || DEFAULT_CONFIG.dataDir,
    databaseUrl: databaseUrl === undefined || databaseUrl === "" ? undefined : databaseUrl,
    bodyLimit: integer(env, "HPQMLS_BODY_LIMIT", DEFAULT_CONFIG.bodyLimit, 1),
    rateLimit: integer(env, "HPQMLS_RATE_LIMIT", DEFAULT_CONFIG.rateLimit, 1),
    logLevel,
    requestTimeout: integer(env, "HPQMLS_REQUEST_TIMEOUT", DEFAULT_CONFIG.requestTimeout, 0),
    connectionTimeout,
    handlerTimeout: integer(env, "HPQMLS_HANDLER_TIMEOUT", DEFAULT_CONFIG.handlerTimeout, 0),
    maxConnections: integer(env, "HPQMLS_MAX_CONNECTIONS", DEFAULT_CONFIG.maxConnections, 1),
    maxStreams: integer(env, "HPQMLS_MAX_STREAMS", DEFAULT_CONFIG.maxStreams, 1),
    maxStreamsPerClient: integer(
      env,
      "HPQMLS_MAX_STREAMS_PER_CLIENT",
      DEFAULT_CONFIG.maxStreamsPerClient,
      1,
    ),
  };
}
