import type { Codec } from "../codec/codec.js";
import type { Reader } from "../codec/reader.js";
import type { Writer } from "../codec/writer.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CodecError } from "../errors.js";
import { ExporterTree } from "../schedule/exporterTree.js";
import type { EpochSecrets } from "../schedule/keySchedule.js";
import {
  type RatchetState,
  SecretTree,
  type SecretTreeOptions,
  type SecretTreeState,
} from "../schedule/secretTree.js";
import { RatchetTree } from "../tree/ratchetTree.js";
import { toLeafIndex } from "../treemath.js";
import { groupContextCodec } from "../wire/groupContext.js";
import { ratchetTreeCodec } from "../wire/node.js";
import { type EpochState, encodeGroupContext, type NodeKey } from "./epoch.js";

/**
 * Binary encodings of the pieces of a member's state (contains secrets: store it encrypted at
 * rest). Built from the same codec primitives as the wire formats.
 */

export const STATE_MAGIC = 0x48514d4c; // "HQML"
/**
 * The state format written now. Version 2 added the ReInit proposal of a group's last commit
 * (RFC 9420 §11.2) after the resumption PSKs; version 1 blobs are still read.
 */
export const STATE_VERSION = 2;
/** The oldest state format still read. */
export const STATE_VERSION_MIN = 1;

export const SECRET_FIELDS = [
  "senderDataSecret",
  "encryptionSecret",
  "exporterSecret",
  "externalSecret",
  "confirmationKey",
  "membershipKey",
  "resumptionPsk",
  "epochAuthenticator",
  "initSecret",
  "applicationExportSecret",
] as const satisfies readonly (keyof EpochSecrets)[];

export const epochSecretsCodec: Codec<EpochSecrets> = {
  encode(w, s) {
    for (const f of SECRET_FIELDS) w.opaque(s[f]);
  },
  decode(r) {
    const out: Record<string, Uint8Array> = {};
    for (const f of SECRET_FIELDS) out[f] = r.opaque();
    return out as unknown as EpochSecrets;
  },
};

const ratchetStateCodec: Codec<RatchetState> = {
  encode(w, s) {
    w.u32(s.generation);
    w.opaque(s.secret);
    w.vector(s.skipped, (w2, k) => {
      w2.u32(k.generation);
      w2.opaque(k.key);
      w2.opaque(k.nonce);
    });
  },
  decode(r) {
    return {
      generation: r.u32(),
      secret: r.opaque(),
      skipped: r.vector((r2) => ({ generation: r2.u32(), key: r2.opaque(), nonce: r2.opaque() })),
    };
  },
};

export const secretTreeStateCodec: Codec<SecretTreeState> = {
  encode(w, s) {
    w.u32(s.leafCount);
    w.vector(s.nodes, (w2, n) => {
      w2.u32(n.node);
      w2.opaque(n.secret);
    });
    w.vector(s.ratchets, (w2, r) => {
      w2.u32(r.leaf);
      ratchetStateCodec.encode(w2, r.handshake);
      ratchetStateCodec.encode(w2, r.application);
    });
  },
  decode(r) {
    return {
      leafCount: r.u32(),
      nodes: r.vector((r2) => ({ node: r2.u32(), secret: r2.opaque() })),
      ratchets: r.vector((r2) => ({
        leaf: r2.u32(),
        handshake: ratchetStateCodec.decode(r2),
        application: ratchetStateCodec.decode(r2),
      })),
    };
  },
};

export const treeCodec: Codec<RatchetTree> = {
  encode: (w, t) => ratchetTreeCodec.encode(w, t.toNodes()),
  decode: (r) => RatchetTree.fromNodes(ratchetTreeCodec.decode(r)),
};

export function writeHeader(w: Writer, kind: number): void {
  w.u32(STATE_MAGIC);
  w.u16(STATE_VERSION);
  w.u8(kind);
}

/** Reads the header of a state blob of `kind`; returns its format version. */
export function readHeader(r: Reader, kind: number): number {
  if (r.u32() !== STATE_MAGIC) throw new CodecError("not an hpqmls state blob");
  const v = r.u16();
  if (v < STATE_VERSION_MIN || v > STATE_VERSION)
    throw new CodecError(`unsupported state version ${v}`);
  if (r.u8() !== kind) throw new CodecError("state blob of another kind");
  return v;
}

export type SuiteLookup = (id: number) => CipherSuite;

/** Writes one EpochState (see epoch.ts). */
export function writeEpochState(w: Writer, s: EpochState): void {
  w.u16(s.suite.id);
  groupContextCodec.encode(w, s.groupContext);
  treeCodec.encode(w, s.tree);
  w.u32(s.myLeaf);
  w.vector([...s.privateKeys], (w2, [node, k]) => {
    w2.u32(node);
    w2.opaque(k.privateKey);
    w2.opaque(k.publicKey);
  });
  w.opaque(s.signaturePrivateKey);
  w.opaque(s.interimTranscriptHash);
  w.opaque(s.confirmationTag);
  epochSecretsCodec.encode(w, s.secrets);
  secretTreeStateCodec.encode(w, s.secretTree.exportState());
  writeNodes(w, s.exporterTree.exportNodes());
}

function writeNodes(w: Writer, nodes: readonly { node: number; secret: Uint8Array }[]): void {
  w.vector(nodes, (w2, n) => {
    w2.u32(n.node);
    w2.opaque(n.secret);
  });
}

function readNodes(r: Reader): { node: number; secret: Uint8Array }[] {
  return r.vector((r2) => ({ node: r2.u32(), secret: r2.opaque() }));
}

/** Reads one EpochState. */
export function readEpochState(
  r: Reader,
  suiteOf: SuiteLookup,
  options: SecretTreeOptions,
): EpochState {
  const suite = suiteOf(r.u16());
  const groupContext = groupContextCodec.decode(r);
  const tree = treeCodec.decode(r);
  const myLeaf = toLeafIndex(r.u32());
  const privateKeys = new Map<number, NodeKey>(
    r.vector((r2) => [r2.u32(), { privateKey: r2.opaque(), publicKey: r2.opaque() }] as const),
  );
  const signaturePrivateKey = r.opaque();
  const interimTranscriptHash = r.opaque();
  const confirmationTag = r.opaque();
  const secrets = epochSecretsCodec.decode(r);
  const secretTree = SecretTree.fromState(suite, secretTreeStateCodec.decode(r), options);
  const exporterTree = ExporterTree.fromNodes(suite, readNodes(r));
  return {
    suite,
    groupContext,
    groupContextBytes: encodeGroupContext(groupContext),
    tree,
    myLeaf,
    privateKeys,
    signaturePrivateKey,
    interimTranscriptHash,
    confirmationTag,
    secrets,
    secretTree,
    exporterTree,
  };
}
