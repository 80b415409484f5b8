import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { ProposalType } from "./enums.js";
import { type Extension, extensionsCodec } from "./extension.js";
import { type KeyPackage, keyPackageCodec } from "./keyPackage.js";
import { type LeafNode, leafNodeCodec } from "./leafNode.js";
import { type PreSharedKeyID, preSharedKeyIDCodec } from "./psk.js";

/** §12.1.1 Add */
export interface AddProposal {
  readonly proposalType: typeof ProposalType.add;
  readonly keyPackage: KeyPackage;
}
/** §12.1.2 Update */
export interface UpdateProposal {
  readonly proposalType: typeof ProposalType.update;
  readonly leafNode: LeafNode;
}
/** §12.1.3 Remove */
export interface RemoveProposal {
  readonly proposalType: typeof ProposalType.remove;
  readonly removed: number;
}
/** §12.1.4 PreSharedKey */
export interface PreSharedKeyProposal {
  readonly proposalType: typeof ProposalType.psk;
  readonly psk: PreSharedKeyID;
}
/** §12.1.5 ReInit */
export interface ReInitProposal {
  readonly proposalType: typeof ProposalType.reinit;
  readonly groupId: Uint8Array;
  readonly version: number;
  readonly cipherSuite: number;
  readonly extensions: Extension[];
}
/** §12.1.6 ExternalInit */
export interface ExternalInitProposal {
  readonly proposalType: typeof ProposalType.external_init;
  readonly kemOutput: Uint8Array;
}
/** §12.1.7 GroupContextExtensions */
export interface GroupContextExtensionsProposal {
  readonly proposalType: typeof ProposalType.group_context_extensions;
  readonly extensions: Extension[];
}

/** RFC 9420 §12.1 Proposal. */
export type Proposal =
  | AddProposal
  | UpdateProposal
  | RemoveProposal
  | PreSharedKeyProposal
  | ReInitProposal
  | ExternalInitProposal
  | GroupContextExtensionsProposal;

/** The body of a ReInit proposal (§12.1.5), used alone by the test vectors. */
export type ReInit = Omit<ReInitProposal, "proposalType">;

export const reInitCodec: Codec<ReInit> = {
  encode(w, p) {
    w.opaque(p.groupId);
    w.u16(p.version);
    w.u16(p.cipherSuite);
    extensionsCodec.encode(w, p.extensions);
  },
  decode(r) {
    return {
      groupId: r.opaque(),
      version: r.u16(),
      cipherSuite: r.u16(),
      extensions: extensionsCodec.decode(r),
    };
  },
};

export const proposalCodec: Codec<Proposal> = {
  encode(w, p) {
    w.u16(p.proposalType);
    switch (p.proposalType) {
      case ProposalType.add:
        keyPackageCodec.encode(w, p.keyPackage);
        break;
      case ProposalType.update:
        leafNodeCodec.encode(w, p.leafNode);
        break;
      case ProposalType.remove:
        w.u32(p.removed);
        break;
      case ProposalType.psk:
        preSharedKeyIDCodec.encode(w, p.psk);
        break;
      case ProposalType.reinit:
        reInitCodec.encode(w, p);
        break;
      case ProposalType.external_init:
        w.opaque(p.kemOutput);
        break;
      case ProposalType.group_context_extensions:
        extensionsCodec.encode(w, p.extensions);
        break;
    }
  },
  decode(r) {
    const t = r.u16();
    switch (t) {
      case ProposalType.add:
        return { proposalType: t, keyPackage: keyPackageCodec.decode(r) };
      case ProposalType.update:
        return { proposalType: t, leafNode: leafNodeCodec.decode(r) };
      case ProposalType.remove:
        return { proposalType: t, removed: r.u32() };
      case ProposalType.psk:
        return { proposalType: t, psk: preSharedKeyIDCodec.decode(r) };
      case ProposalType.reinit:
        return { proposalType: t, ...reInitCodec.decode(r) };
      case ProposalType.external_init:
        return { proposalType: t, kemOutput: r.opaque() };
      case ProposalType.group_context_extensions:
        return { proposalType: t, extensions: extensionsCodec.decode(r) };
      default:
        // A Proposal of an unknown type has no length prefix, so it cannot be skipped (§12.1).
        throw new CodecError(`unsupported proposal type ${t}`);
    }
  },
};
