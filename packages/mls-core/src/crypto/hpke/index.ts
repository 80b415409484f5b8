/** HPKE (RFC 9180), base mode, generic over the primitive interfaces of ../provider.ts. */
export {
  DeriveKeyPairError,
  type DeterministicKem,
  DHKEM_HASH,
  DHKEM_ID,
  dhKem,
} from "./dhkem.js";
export { HPKE_MODE_BASE, HpkeContext, type HpkeKeySchedule, HpkeSuite } from "./hpke.js";
export { i2osp, LabeledKdf } from "./labeled.js";
