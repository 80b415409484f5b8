import {
  type CipherSuite,
  constantTimeEqual,
  deriveSecret,
  ExtPSKType,
  type PreSharedKeyID,
  type PskStore,
  wipe,
} from "@hpqmls/mls-core";
import { apqCodePoints } from "./codepoints.js";

/**
 * The combiner's key schedule (draft-ietf-mls-combiner "Key Schedule"):
 *
 *   apq_exporter = SafeExportSecret(0x0006)           (PQ session, PQ KDF, new PQ epoch)
 *   apq_psk_id   = DeriveSecret(apq_exporter, "psk_id")   (T suite's KDF)
 *   apq_psk      = DeriveSecret(apq_exporter, "psk")      (T suite's KDF)
 *
 * apq_exporter is deleted once both are derived.
 */
export interface ApqPsk {
  readonly pskId: Uint8Array;
  readonly psk: Uint8Array;
}

export async function deriveApqPsk(tSuite: CipherSuite, apqExporter: Uint8Array): Promise<ApqPsk> {
  const [pskId, psk] = await Promise.all([
    deriveSecret(tSuite, apqExporter, "psk_id"),
    deriveSecret(tSuite, apqExporter, "psk"),
  ]);
  wipe(apqExporter);
  return { pskId, psk };
}

/** PreSharedKeyID{application, 0x0006, apq_psk_id, fresh nonce of Nh_T bytes}. */
export function apqPskId(tSuite: CipherSuite, pskId: Uint8Array): PreSharedKeyID {
  return {
    psktype: ExtPSKType.application,
    componentId: apqCodePoints().componentId,
    pskId,
    pskNonce: tSuite.randomBytes(tSuite.kdf.Nh),
  };
}

/**
 * The T group's PSK store: resolves exactly the APQ PSK that is armed for the commit being
 * created or processed, and nothing else. External PSKs go to the application's own store.
 */
export class ApqPskStore implements PskStore {
  private armed: ApqPsk | undefined;

  constructor(private readonly inner?: PskStore) {}

  arm(p: ApqPsk): void {
    this.disarm();
    this.armed = p;
  }

  /** Forgets (and wipes) the armed PSK: called once the T key schedule consumed it. */
  disarm(): void {
    if (this.armed !== undefined) wipe(this.armed.psk);
    this.armed = undefined;
  }

  external(pskId: Uint8Array) {
    return this.inner?.external(pskId);
  }

  resumption(groupId: Uint8Array, epoch: bigint) {
    return this.inner?.resumption?.(groupId, epoch);
  }

  application(componentId: number, pskId: Uint8Array) {
    if (componentId !== apqCodePoints().componentId)
      return this.inner?.application?.(componentId, pskId);
    const a = this.armed;
    // apq_psk_id is derived from the PQ epoch's secret: compared in constant time.
    if (a === undefined || !constantTimeEqual(a.pskId, pskId)) return undefined;
    return a.psk;
  }
}
