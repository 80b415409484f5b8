import type { Codec } from "../codec/codec.js";
import type { Writer } from "../codec/writer.js";
import { CodecError } from "../errors.js";
import { NodeType } from "./enums.js";
import { type LeafNode, leafNodeCodec } from "./leafNode.js";

/** RFC 9420 §7.1 ParentNode. */
export interface ParentNode {
  readonly encryptionKey: Uint8Array;
  readonly parentHash: Uint8Array;
  readonly unmergedLeaves: number[];
}

const u32 = (w: Writer, v: number) => w.u32(v);

export const parentNodeCodec: Codec<ParentNode> = {
  encode(w, n) {
    w.opaque(n.encryptionKey);
    w.opaque(n.parentHash);
    w.vector(n.unmergedLeaves, u32);
  },
  decode(r) {
    return {
      encryptionKey: r.opaque(),
      parentHash: r.opaque(),
      unmergedLeaves: r.vector((r2) => r2.u32()),
    };
  },
};

/** RFC 9420 §12.4.3.3 Node. */
export type Node =
  | { readonly nodeType: typeof NodeType.leaf; readonly leaf: LeafNode }
  | { readonly nodeType: typeof NodeType.parent; readonly parent: ParentNode };

export const nodeCodec: Codec<Node> = {
  encode(w, n) {
    w.u8(n.nodeType);
    if (n.nodeType === NodeType.leaf) leafNodeCodec.encode(w, n.leaf);
    else parentNodeCodec.encode(w, n.parent);
  },
  decode(r) {
    const t = r.u8();
    if (t === NodeType.leaf) return { nodeType: t, leaf: leafNodeCodec.decode(r) };
    if (t === NodeType.parent) return { nodeType: t, parent: parentNodeCodec.decode(r) };
    throw new CodecError(`invalid node type ${t}`);
  },
};

/** `optional<Node> ratchet_tree<V>` (§12.4.3.3): the tree as sent in the ratchet_tree extension. */
export type RatchetTreeNodes = (Node | undefined)[];

export const ratchetTreeCodec: Codec<RatchetTreeNodes> = {
  encode(w, nodes) {
    w.vector(nodes, (w2, n) => w2.optional(n, nodeCodec.encode));
  },
  decode(r) {
    return r.vector((r2) => r2.optional(nodeCodec.decode));
  },
};
