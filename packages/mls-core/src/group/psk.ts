import { ValidationError } from "../errors.js";
import { ExtPSKType } from "../extensions/codepoints.js";
import type { ResolvedPsk } from "../schedule/pskSecret.js";
import { bytesEqual, toHex } from "../util/bytes.js";
import { PSKType } from "../wire/enums.js";
import type { PreSharedKeyID } from "../wire/psk.js";

/**
 * Where PSK values come from (RFC 9420 §8.4): external PSKs from the application, resumption
 * PSKs from this member's record of past epochs.
 */
export interface PskStore {
  /** The value of the external PSK with this id, if the application holds it. */
  external(pskId: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** The resumption_psk of a group's epoch, if still kept. */
  resumption?(
    groupId: Uint8Array,
    epoch: bigint,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** An application component's PSK (draft-ietf-mls-extensions §2.4). */
  application?(
    componentId: number,
    pskId: Uint8Array,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** An in-memory PskStore for external PSKs. */
export class InMemoryPskStore implements PskStore {
  private readonly map = new Map<string, Uint8Array>();
  add(pskId: Uint8Array, psk: Uint8Array): this {
    this.map.set(toHex(pskId), psk);
    return this;
  }
  delete(pskId: Uint8Array): void {
    this.map.delete(toHex(pskId));
  }
  external(pskId: Uint8Array): Uint8Array | undefined {
    return this.map.get(toHex(pskId));
  }
}

export const NO_PSKS: PskStore = { external: () => undefined };

/**
 * Resolves every PSK id to its value, in order; a missing PSK fails the commit or join
 * (§12.4.2 "Verify that all PreSharedKey proposals … are available", §12.4.3.1).
 */
export async function resolvePsks(
  ids: readonly PreSharedKeyID[],
  store: PskStore,
  ownResumption: (groupId: Uint8Array, epoch: bigint) => Uint8Array | undefined,
): Promise<ResolvedPsk[]> {
  const out: ResolvedPsk[] = [];
  for (const id of ids) {
    let psk: Uint8Array | undefined;
    if (id.psktype === PSKType.external) psk = await store.external(id.pskId);
    else if (id.psktype === PSKType.resumption)
      psk =
        ownResumption(id.pskGroupId, id.pskEpoch) ??
        (await store.resumption?.(id.pskGroupId, id.pskEpoch));
    else psk = await store.application?.(id.componentId, id.pskId);
    if (psk === undefined)
      throw new ValidationError(
        "RFC9420 §12.4.2",
        id.psktype === PSKType.external
          ? "an external PSK named by the commit is not available"
          : id.psktype === PSKType.resumption
            ? `the resumption PSK of epoch ${id.pskEpoch} is not available`
            : `the application PSK of component ${id.componentId} is not available`,
      );
    out.push({ id, psk });
  }
  return out;
}

export function samePskId(a: PreSharedKeyID, b: PreSharedKeyID): boolean {
  if (a.psktype !== b.psktype || !bytesEqual(a.pskNonce, b.pskNonce)) return false;
  if (a.psktype === PSKType.external && b.psktype === PSKType.external)
    return bytesEqual(a.pskId, b.pskId);
  if (a.psktype === PSKType.resumption && b.psktype === PSKType.resumption)
    return (
      a.usage === b.usage && a.pskEpoch === b.pskEpoch && bytesEqual(a.pskGroupId, b.pskGroupId)
    );
  if (a.psktype === ExtPSKType.application && b.psktype === ExtPSKType.application)
    return a.componentId === b.componentId && bytesEqual(a.pskId, b.pskId);
  return false;
}
