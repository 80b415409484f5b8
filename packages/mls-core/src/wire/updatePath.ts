import type { Codec } from "../codec/codec.js";
import { type LeafNode, leafNodeCodec } from "./leafNode.js";

/** RFC 9420 §7.6 HPKECiphertext. */
export interface HPKECiphertext {
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export const hpkeCiphertextCodec: Codec<HPKECiphertext> = {
  encode(w, c) {
    w.opaque(c.kemOutput);
    w.opaque(c.ciphertext);
  },
  decode(r) {
    return { kemOutput: r.opaque(), ciphertext: r.opaque() };
  },
};

/** RFC 9420 §7.6 UpdatePathNode. */
export interface UpdatePathNode {
  readonly encryptionKey: Uint8Array;
  readonly encryptedPathSecret: HPKECiphertext[];
}

/** RFC 9420 §7.6 UpdatePath. */
export interface UpdatePath {
  readonly leafNode: LeafNode;
  readonly nodes: UpdatePathNode[];
}

export const updatePathNodeCodec: Codec<UpdatePathNode> = {
  encode(w, n) {
    w.opaque(n.encryptionKey);
    w.vector(n.encryptedPathSecret, hpkeCiphertextCodec.encode);
  },
  decode(r) {
    return {
      encryptionKey: r.opaque(),
      encryptedPathSecret: r.vector(hpkeCiphertextCodec.decode),
    };
  },
};

export const updatePathCodec: Codec<UpdatePath> = {
  encode(w, p) {
    leafNodeCodec.encode(w, p.leafNode);
    w.vector(p.nodes, updatePathNodeCodec.encode);
  },
  decode(r) {
    return { leafNode: leafNodeCodec.decode(r), nodes: r.vector(updatePathNodeCodec.decode) };
  },
};
