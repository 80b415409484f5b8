import type { Codec } from "../codec/codec.js";
import { type Extension, extensionsCodec } from "./extension.js";

/** RFC 9420 §8.1 GroupContext. */
export interface GroupContext {
  readonly version: number;
  readonly cipherSuite: number;
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly treeHash: Uint8Array;
  readonly confirmedTranscriptHash: Uint8Array;
  readonly extensions: Extension[];
}

export const groupContextCodec: Codec<GroupContext> = {
  encode(w, g) {
    w.u16(g.version);
    w.u16(g.cipherSuite);
    w.opaque(g.groupId);
    w.u64(g.epoch);
    w.opaque(g.treeHash);
    w.opaque(g.confirmedTranscriptHash);
    extensionsCodec.encode(w, g.extensions);
  },
  decode(r) {
    return {
      version: r.u16(),
      cipherSuite: r.u16(),
      groupId: r.opaque(),
      epoch: r.u64(),
      treeHash: r.opaque(),
      confirmedTranscriptHash: r.opaque(),
      extensions: extensionsCodec.decode(r),
    };
  },
};
