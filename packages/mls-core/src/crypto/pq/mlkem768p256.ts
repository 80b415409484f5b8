import { utf8 } from "../../util/bytes.js";
import type { DhPrimitive } from "../backend.js";
import type { PqKem } from "./common.js";
import { hybridKem, nistGroup } from "./hybrid.js";
import { ML_KEM_768 } from "./mlkem.js";

/**
 * MLKEM768-P256 as an HPKE KEM, id 0x0050 (draft-ietf-hpke-pq): ML-KEM-768 and P-256 in the
 * construction of ./hybrid.ts with the label "MLKEM768-P256". Npk 1249, Nenc 1153, Nsk 32.
 */
export const MLKEM768_P256_ID = 0x0050;

const LABEL = utf8("MLKEM768-P256");

const instances = new WeakMap<DhPrimitive, PqKem>();

/** MLKEM768-P256 with the P-256 of `dh`; one instance per primitive. */
export function mlKem768P256(dh: DhPrimitive): PqKem {
  let kem = instances.get(dh);
  if (kem === undefined) {
    kem = hybridKem({
      id: MLKEM768_P256_ID,
      name: "MLKEM768-P256",
      label: LABEL,
      ml: ML_KEM_768,
      group: nistGroup(dh, 128, 96),
    });
    instances.set(dh, kem);
  }
  return kem;
}
