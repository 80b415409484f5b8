import type { Codec } from "../codec/codec.js";
import type { Writer } from "../codec/writer.js";
import { type Extension, extensionsCodec } from "./extension.js";
import { type GroupContext, groupContextCodec } from "./groupContext.js";

/** RFC 9420 §12.4.3 GroupInfoTBS. */
export interface GroupInfoTBS {
  readonly groupContext: GroupContext;
  readonly extensions: Extension[];
  readonly confirmationTag: Uint8Array;
  readonly signer: number;
}

/** RFC 9420 §12.4.3 GroupInfo. */
export interface GroupInfo extends GroupInfoTBS {
  readonly signature: Uint8Array;
}

function encodeTBS(w: Writer, g: GroupInfoTBS): void {
  groupContextCodec.encode(w, g.groupContext);
  extensionsCodec.encode(w, g.extensions);
  w.opaque(g.confirmationTag);
  w.u32(g.signer);
}

export const groupInfoTBSCodec: Codec<GroupInfoTBS> = {
  encode: encodeTBS,
  decode(r) {
    return {
      groupContext: groupContextCodec.decode(r),
      extensions: extensionsCodec.decode(r),
      confirmationTag: r.opaque(),
      signer: r.u32(),
    };
  },
};

export const groupInfoCodec: Codec<GroupInfo> = {
  encode(w, g) {
    encodeTBS(w, g);
    w.opaque(g.signature);
  },
  decode(r) {
    const tbs = groupInfoTBSCodec.decode(r);
    return { ...tbs, signature: r.opaque() };
  },
};
