import { utf8 } from "../../util/bytes.js";
import type { DhPrimitive } from "../backend.js";
import type { PqKem } from "./common.js";
import { hybridKem, x25519Group } from "./hybrid.js";
import { ML_KEM_768 } from "./mlkem.js";

/**
 * MLKEM768-X25519, i.e. X-Wing, as an HPKE KEM, id 0x647a (draft-ietf-hpke-pq): ML-KEM-768 and
 * X25519 in the construction of ./hybrid.ts with the label `\.//^\` (hex 5c2e2f2f5e5c) last in
 * the combiner input, as in draft-connolly-cfrg-xwing-kem ≥ -05. Npk 1216, Nenc 1120, Nsk 32.
 */
export const MLKEM768_X25519_ID = 0x647a;

const LABEL = utf8("\\.//^\\");

const instances = new WeakMap<DhPrimitive, PqKem>();

/** X-Wing with the X25519 of `dh` (Node's or the pure-JS one); one instance per primitive. */
export function mlKem768X25519(dh: DhPrimitive): PqKem {
  let kem = instances.get(dh);
  if (kem === undefined) {
    kem = hybridKem({
      id: MLKEM768_X25519_ID,
      name: "MLKEM768-X25519",
      label: LABEL,
      ml: ML_KEM_768,
      group: x25519Group(dh),
    });
    instances.set(dh, kem);
  }
  return kem;
}
