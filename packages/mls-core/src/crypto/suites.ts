// TEMPORARY: replaced by the real suite table.
import { UsageError } from "../errors.js";
import { BOOTSTRAP_SUITES } from "./_bootstrap.js";
import { BOOTSTRAP_PQ_SUITES } from "./_bootstrapPq.js";
import type { CipherSuite } from "./provider.js";

export function getCipherSuite(id: number): CipherSuite {
  const s = BOOTSTRAP_SUITES[id] ?? BOOTSTRAP_PQ_SUITES[id];
  if (s === undefined) throw new UsageError(`unsupported cipher suite ${id}`);
  return s;
}

export function isSupportedCipherSuite(id: number): boolean {
  return BOOTSTRAP_SUITES[id] !== undefined || BOOTSTRAP_PQ_SUITES[id] !== undefined;
}
