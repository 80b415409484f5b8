import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { ExtPSKType, memoryCode, wireCode } from "../extensions/codepoints.js";
import { PSKType } from "./enums.js";

/** RFC 9420 §8.4 PreSharedKeyID. */
export type PreSharedKeyID = (
  | { readonly psktype: typeof PSKType.external; readonly pskId: Uint8Array }
  | {
      readonly psktype: typeof PSKType.resumption;
      readonly usage: number;
      readonly pskGroupId: Uint8Array;
      readonly pskEpoch: bigint;
    }
  | {
      /** draft-ietf-mls-extensions §2.4: a PSK owned by an application component. */
      readonly psktype: typeof ExtPSKType.application;
      readonly componentId: number;
      readonly pskId: Uint8Array;
    }
) & { readonly pskNonce: Uint8Array };

export const preSharedKeyIDCodec: Codec<PreSharedKeyID> = {
  encode(w, p) {
    w.u8(wireCode("psk", p.psktype));
    if (p.psktype === PSKType.external) w.opaque(p.pskId);
    else if (p.psktype === PSKType.resumption) {
      w.u8(p.usage);
      w.opaque(p.pskGroupId);
      w.u64(p.pskEpoch);
    } else {
      w.u16(p.componentId);
      w.opaque(p.pskId);
    }
    w.opaque(p.pskNonce);
  },
  decode(r) {
    const t = memoryCode("psk", r.u8());
    if (t === PSKType.external) return { psktype: t, pskId: r.opaque(), pskNonce: r.opaque() };
    if (t === ExtPSKType.application) {
      const componentId = r.u16();
      const pskId = r.opaque();
      return { psktype: t, componentId, pskId, pskNonce: r.opaque() };
    }
    if (t === PSKType.resumption) {
      const usage = r.u8();
      const pskGroupId = r.opaque();
      const pskEpoch = r.u64();
      return { psktype: t, usage, pskGroupId, pskEpoch, pskNonce: r.opaque() };
    }
    throw new CodecError(`unsupported PSK type ${t}`);
  },
};

/** RFC 9420 §8.4 PSKLabel. */
export interface PSKLabel {
  readonly id: PreSharedKeyID;
  readonly index: number;
  readonly count: number;
}

export const pskLabelCodec: Codec<PSKLabel> = {
  encode(w, l) {
    preSharedKeyIDCodec.encode(w, l.id);
    w.u16(l.index);
    w.u16(l.count);
  },
  decode(r) {
    return { id: preSharedKeyIDCodec.decode(r), index: r.u16(), count: r.u16() };
  },
};
