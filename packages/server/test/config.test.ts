import { ConfigError, DEFAULT_CONFIG, loadConfig } from "@hpqmls/server";
import { describe, expect, it } from "vitest";

describe("configuration from the environment", () => {
  it("has the documented defaults", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: "127.0.0.1",
      dataDir: "./data",
      databaseUrl: undefined,
      bodyLimit: 1048576,
      rateLimit: 600,
      logLevel: "info",
      requestTimeout: 30000,
      connectionTimeout: 90000,
      handlerTimeout: 30000,
      maxConnections: 10000,
      maxStreams: 1000,
      maxStreamsPerClient: 8,
    });
    expect(DEFAULT_CONFIG.port).toBe(8080);
  });

  it("reads every variable", () => {
    expect(
      loadConfig({
        PORT: "9000",
        HOST: "0.0.0.0",
        HPQMLS_DATA_DIR: "/var/lib/hpqmls",
        DATABASE_URL: "postgres://db/hpqmls",
        HPQMLS_BODY_LIMIT: "2048",
        HPQMLS_RATE_LIMIT: "60",
        LOG_LEVEL: "WARN",
        HPQMLS_REQUEST_TIMEOUT: "5000",
        HPQMLS_CONNECTION_TIMEOUT: "0",
        HPQMLS_HANDLER_TIMEOUT: "7000",
        HPQMLS_MAX_CONNECTIONS: "100",
        HPQMLS_MAX_STREAMS: "50",
        HPQMLS_MAX_STREAMS_PER_CLIENT: "2",
      }),
    ).toEqual({
      port: 9000,
      host: "0.0.0.0",
      dataDir: "/var/lib/hpqmls",
      databaseUrl: "postgres://db/hpqmls",
      bodyLimit: 2048,
      rateLimit: 60,
      logLevel: "warn",
      requestTimeout: 5000,
      connectionTimeout: 0,
      handlerTimeout: 7000,
      maxConnections: 100,
      maxStreams: 50,
      maxStreamsPerClient: 2,
    });
  });

  it("refuses unusable values with a message naming the variable", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadConfig({ HPQMLS_BODY_LIMIT: "0" })).toThrow(/HPQMLS_BODY_LIMIT/);
    expect(() => loadConfig({ HPQMLS_RATE_LIMIT: "1.5" })).toThrow(/HPQMLS_RATE_LIMIT/);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ HPQMLS_CONNECTION_TIMEOUT: "5000" })).toThrow(/heartbeat/);
    expect(() => loadConfig({ HPQMLS_MAX_STREAMS_PER_CLIENT: "0" })).toThrow(
      /HPQMLS_MAX_STREAMS_PER_CLIENT/,
    );
  });
});
