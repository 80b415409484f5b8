import type { Codec } from "../codec/codec.js";
import type { Writer } from "../codec/writer.js";
import { CodecError } from "../errors.js";
import { type Credential, credentialCodec } from "./credential.js";
import { LeafNodeSource } from "./enums.js";
import { type Extension, extensionsCodec } from "./extension.js";

/** RFC 9420 §7.2 Capabilities. */
export interface Capabilities {
  readonly versions: number[];
  readonly cipherSuites: number[];
  readonly extensions: number[];
  readonly proposals: number[];
  readonly credentials: number[];
}

const u16 = (w: Writer, v: number) => w.u16(v);

export const capabilitiesCodec: Codec<Capabilities> = {
  encode(w, c) {
    w.vector(c.versions, u16);
    w.vector(c.cipherSuites, u16);
    w.vector(c.extensions, u16);
    w.vector(c.proposals, u16);
    w.vector(c.credentials, u16);
  },
  decode(r) {
    const u = () => r.u16();
    return {
      versions: r.vector(u),
      cipherSuites: r.vector(u),
      extensions: r.vector(u),
      proposals: r.vector(u),
      credentials: r.vector(u),
    };
  },
};

/** RFC 9420 §7.2 Lifetime (seconds since the Unix epoch). */
export interface Lifetime {
  readonly notBefore: bigint;
  readonly notAfter: bigint;
}

/** The part of a LeafNode that depends on `leaf_node_source` (§7.2). */
export type LeafNodeSourceData =
  | { readonly leafNodeSource: typeof LeafNodeSource.key_package; readonly lifetime: Lifetime }
  | { readonly leafNodeSource: typeof LeafNodeSource.update }
  | { readonly leafNodeSource: typeof LeafNodeSource.commit; readonly parentHash: Uint8Array };

/** RFC 9420 §7.2 LeafNode, without its signature. */
export type LeafNodeTBSCore = {
  readonly encryptionKey: Uint8Array;
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
  readonly capabilities: Capabilities;
  readonly extensions: Extension[];
} & LeafNodeSourceData;

/** RFC 9420 §7.2 LeafNode. */
export type LeafNode = LeafNodeTBSCore & { readonly signature: Uint8Array };

function encodeLeafNodeCore(w: Writer, n: LeafNodeTBSCore): void {
  w.opaque(n.encryptionKey);
  w.opaque(n.signatureKey);
  credentialCodec.encode(w, n.credential);
  capabilitiesCodec.encode(w, n.capabilities);
  w.u8(n.leafNodeSource);
  switch (n.leafNodeSource) {
    case LeafNodeSource.key_package:
      w.u64(n.lifetime.notBefore);
      w.u64(n.lifetime.notAfter);
      break;
    case LeafNodeSource.update:
      break;
    case LeafNodeSource.commit:
      w.opaque(n.parentHash);
      break;
  }
  extensionsCodec.encode(w, n.extensions);
}

export const leafNodeCodec: Codec<LeafNode> = {
  encode(w, n) {
    encodeLeafNodeCore(w, n);
    w.opaque(n.signature);
  },
  decode(r) {
    const encryptionKey = r.opaque();
    const signatureKey = r.opaque();
    const credential = credentialCodec.decode(r);
    const capabilities = capabilitiesCodec.decode(r);
    const source = r.u8();
    let sourceData: LeafNodeSourceData;
    switch (source) {
      case LeafNodeSource.key_package:
        sourceData = {
          leafNodeSource: source,
          lifetime: { notBefore: r.u64(), notAfter: r.u64() },
        };
        break;
      case LeafNodeSource.update:
        sourceData = { leafNodeSource: source };
        break;
      case LeafNodeSource.commit:
        sourceData = { leafNodeSource: source, parentHash: r.opaque() };
        break;
      default:
        throw new CodecError(`invalid leaf_node_source ${source}`);
    }
    const extensions = extensionsCodec.decode(r);
    const signature = r.opaque();
    return {
      encryptionKey,
      signatureKey,
      credential,
      capabilities,
      ...sourceData,
      extensions,
      signature,
    };
  },
};

/**
 * LeafNodeTBS (§7.2): the signed content. For `update` and `commit` leaves it binds the group
 * and leaf position; `groupId`/`leafIndex` are required for those sources.
 */
export interface LeafNodeTBS {
  readonly leafNode: LeafNodeTBSCore;
  readonly groupId?: Uint8Array;
  readonly leafIndex?: number;
}

export const leafNodeTBSCodec: Codec<LeafNodeTBS> = {
  encode(w, t) {
    encodeLeafNodeCore(w, t.leafNode);
    if (t.leafNode.leafNodeSource !== LeafNodeSource.key_package) {
      if (t.groupId === undefined || t.leafIndex === undefined)
        throw new CodecError("LeafNodeTBS for update/commit needs group_id and leaf_index");
      w.opaque(t.groupId);
      w.u32(t.leafIndex);
    }
  },
  decode() {
    throw new CodecError("LeafNodeTBS is only ever encoded");
  },
};
