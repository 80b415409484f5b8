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
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: "127.0.0.1",
  dataDir: "./data",
  databaseUrl: undefined,
  bodyLimit: 1024 * 1024,
  rateLimit: 600,
  logLevel: "info",
};

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
  return {
    port,
    host: env.HOST?.trim() || DEFAULT_CONFIG.host,
    dataDir: env.HPQMLS_DATA_DIR?.trim() || DEFAULT_CONFIG.dataDir,
    databaseUrl: databaseUrl === undefined || databaseUrl === "" ? undefined : databaseUrl,
    bodyLimit: integer(env, "HPQMLS_BODY_LIMIT", DEFAULT_CONFIG.bodyLimit, 1),
    rateLimit: integer(env, "HPQMLS_RATE_LIMIT", DEFAULT_CONFIG.rateLimit, 1),
    logLevel,
  };
}
