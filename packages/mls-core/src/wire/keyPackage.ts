import type { Codec } from "../codec/codec.js";
import type { Writer } from "../codec/writer.js";
import { type Extension, extensionsCodec } from "./extension.js";
import { type LeafNode, leafNodeCodec } from "./leafNode.js";

/** RFC 9420 §10 KeyPackage, without its signature (KeyPackageTBS). */
export interface KeyPackageTBS {
  readonly version: number;
  readonly cipherSuite: number;
  readonly initKey: Uint8Array;
  readonly leafNode: LeafNode;
  readonly extensions: Extension[];
}

/** RFC 9420 §10 KeyPackage. */
export interface KeyPackage extends KeyPackageTBS {
  readonly signature: Uint8Array;
}

function encodeTBS(w: Writer, k: KeyPackageTBS): void {
  w.u16(k.version);
  w.u16(k.cipherSuite);
  w.opaque(k.initKey);
  leafNodeCodec.encode(w, k.leafNode);
  extensionsCodec.encode(w, k.extensions);
}

export const keyPackageTBSCodec: Codec<KeyPackageTBS> = {
  encode: encodeTBS,
  decode(r) {
    return {
      version: r.u16(),
      cipherSuite: r.u16(),
      initKey: r.opaque(),
      leafNode: leafNodeCodec.decode(r),
      extensions: extensionsCodec.decode(r),
    };
  },
};

export const keyPackageCodec: Codec<KeyPackage> = {
  encode(w, k) {
    encodeTBS(w, k);
    w.opaque(k.signature);
  },
  decode(r) {
    const tbs = keyPackageTBSCodec.decode(r);
    return { ...tbs, signature: r.opaque() };
  },
};
