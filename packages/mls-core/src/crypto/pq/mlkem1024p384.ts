import { utf8 } from "../../util/bytes.js";
import type { DhPrimitive } from "../backend.js";
import type { PqKem } from "./common.js";
import { hybridKem, nistGroup } from "./hybrid.js";
import { ML_KEM_1024 } from "./mlkem.js";

/**
 * MLKEM1024-P384 as an HPKE KEM, id 0x0051 (draft-ietf-hpke-pq): ML-KEM-1024 and P-384 in the
 * construction of ./hybrid.ts with the label "MLKEM1024-P384". Npk 1665, Nenc 1665, Nsk 32.
 */
export const MLKEM1024_P384_ID = 0x0051;

const LABEL = utf8("MLKEM1024-P384");

const instances = new WeakMap<DhPrimitive, PqKem>();

/** MLKEM1024-P384 with the P-384 of `dh`; one instance per primitive. */
export function mlKem1024P384(dh: DhPrimitive): PqKem {
  let kem = instances.get(dh);
  if (kem === undefined) {
    kem = hybridKem({
      id: MLKEM1024_P384_ID,
      name: "MLKEM1024-P384",
      label: LABEL,
      ml: ML_KEM_1024,
      group: nistGroup(dh, 48, 48),
    });
    instances.set(dh, kem);
  }
  return kem;
}
