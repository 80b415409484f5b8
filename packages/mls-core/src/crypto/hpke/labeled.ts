import { concat, utf8 } from "../../util/bytes.js";
import type { Kdf } from "../provider.js";

const HPKE_V1 = utf8("HPKE-v1");

/** I2OSP(n, w): `n` as a `w`-byte big-endian string (RFC 8017 §4.1). */
export function i2osp(n: number, w: number): Uint8Array {
  const out = new Uint8Array(w);
  for (let i = w - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

/**
 * LabeledExtract / LabeledExpand (RFC 9180 §4): the KDF with every input prefixed by "HPKE-v1",
 * the suite_id of the KEM ("KEM" || kem_id) or of the whole HPKE suite, and a label.
 */
export class LabeledKdf {
  constructor(
    readonly kdf: Kdf,
    readonly suiteId: Uint8Array,
  ) {}

  extract(salt: Uint8Array, label: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
    return this.kdf.extract(salt, concat(HPKE_V1, this.suiteId, label, ikm));
  }

  expand(
    prk: Uint8Array,
    label: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    const labeledInfo = concat(i2osp(length, 2), HPKE_V1, this.suiteId, label, info);
    return this.kdf.expand(prk, labeledInfo, length);
  }
}
