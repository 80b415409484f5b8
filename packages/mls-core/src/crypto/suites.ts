// TEMPORARY: replaced by the real suite table.
import { UsageError } from "../errors.js";
import { BOOTSTRAP_SUITES } from "./_bootstrap.js";
import type { CipherSuite } from "./provider.js";

export function getCipherSuite(id: number): CipherSuite {
  const s = BOOTSTRAP_SUITES[id];
  if (s === undefined) throw new UsageError(`unsupported cipher suite ${id}`);
  return s;
}

export function isSupportedCipherSuite(id: number): boolean {
  return BOOTSTRAP_SUITES[id] !== undefined;
}
