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
      }),
    ).toEqual({
      port: 9000,
      host: "0.0.0.0",
      dataDir: "/var/lib/hpqmls",
      databaseUrl: "postgres://db/hpqmls",
      bodyLimit: 2048,
      rateLimit: 60,
      logLevel: "warn",
    });
  });

  it("refuses unusable values with a message naming the variable", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadConfig({ HPQMLS_BODY_LIMIT: "0" })).toThrow(/HPQMLS_BODY_LIMIT/);
    expect(() => loadConfig({ HPQMLS_RATE_LIMIT: "1.5" })).toThrow(/HPQMLS_RATE_LIMIT/);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });
});
