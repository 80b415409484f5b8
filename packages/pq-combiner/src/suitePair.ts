import {
  getCipherSuite,
  isSupportedCipherSuite,
  UsageError,
  ValidationError,
} from "@hpqmls/mls-core";
import { ApqMode } from "./apqInfo.js";

/**
 * Which (T, PQ) cipher-suite pairs an APQ-MLS session accepts (draft-ietf-mls-combiner,
 * "Cipher Suites"; hpqmls decisions): T classical (RFC 9420 suites 1–7); PQ a pure ML-KEM suite
 * of draft-ietf-mls-pq-ciphersuites-06; mode 1 ⇒ the PQ suite signs with ML-DSA; the PQ hash at
 * least as long as the T hash (so the exporter is a full-length HKDF key for the T KDF).
 */

/** Classical suites of RFC 9420. */
export const CLASSICAL_SUITES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7]);

/** Pure ML-KEM suites (TBD6, TBD7, TBD8, TBD10, TBD11) at their private-use code points. */
export const PURE_MLKEM_SUITES: ReadonlySet<number> = new Set([
  0xf006, 0xf007, 0xf008, 0xf00a, 0xf00b,
]);

/** Pure ML-KEM suites that also sign with ML-DSA (TBD10, TBD11). */
export const MLDSA_SUITES: ReadonlySet<number> = new Set([0xf00a, 0xf00b]);

const RULE = "draft-ietf-mls-combiner §Cipher Suites";

export function validateSuitePair(tSuite: number, pqSuite: number, mode: ApqMode): void {
  if (tSuite === pqSuite)
    throw new ValidationError(RULE, "the two sessions use the same cipher suite");
  if (!CLASSICAL_SUITES.has(tSuite))
    throw new ValidationError(
      RULE,
      `T suite 0x${tSuite.toString(16)} is not a classical RFC 9420 suite`,
    );
  if (!PURE_MLKEM_SUITES.has(pqSuite))
    throw new ValidationError(
      RULE,
      `PQ suite 0x${pqSuite.toString(16)} is not a pure ML-KEM suite (hybrid KEMs are refused)`,
    );
  if (mode === ApqMode.confidentialityAndAuthenticity && !MLDSA_SUITES.has(pqSuite))
    throw new ValidationError(
      RULE,
      "mode 1 needs a PQ suite that signs with ML-DSA (0xF00A, 0xF00B)",
    );
  if (!isSupportedCipherSuite(tSuite) || !isSupportedCipherSuite(pqSuite))
    throw new UsageError("a cipher suite of the pair is not available in this build");
  const t = getCipherSuite(tSuite);
  const pq = getCipherSuite(pqSuite);
  if (pq.kdf.Nh < t.kdf.Nh)
    throw new ValidationError(
      RULE,
      "the PQ suite's hash must be at least as long as the T suite's (the exporter keys the T KDF)",
    );
}
