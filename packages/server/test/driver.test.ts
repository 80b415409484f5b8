import { describe, expect, it } from "vitest";
import {
  isConnectivityError,
  mapDriverError,
  StorageUnavailableError,
} from "../src/storage/driver.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

// Which database errors become 503 database_unavailable (retry later) rather than a 500.
describe("database connectivity errors", () => {
  it("are the connection failures of node-postgres and PGlite", () => {
    for (const e of [
      withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("connection failure", "08006"),
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
      new Error("Query read timeout"), // the pool's query_timeout on a dead link
      new Error("PGlite is closed"),
    ])
      expect([e.message, isConnectivityError(e)]).toEqual([e.message, true]);
  });

  it("are not the database's answers to a query", () => {
    for (const e of [
      withCode('duplicate key value violates unique constraint "messages_pkey"', "23505"),
      withCode("syntax error at or near", "42601"),
      new Error("something else"),
      "not an error",
    ])
      expect(isConnectivityError(e)).toBe(false);
  });

  it("mapDriverError rethrows them as StorageUnavailableError and others unchanged", () => {
    expect(() => mapDriverError(new Error("Query read timeout"))).toThrow(StorageUnavailableError);
    const other = withCode("duplicate key", "23505");
    expect(() => mapDriverError(other)).toThrow(other);
  });
});
