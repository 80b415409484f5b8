import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { ExtProposalType, memoryCode, wireCode } from "../extensions/codepoints.js";
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

/** draft-ietf-mls-extensions §2.6 AppDataUpdate. */
export type AppDataUpdateProposal = {
  readonly proposalType: typeof ExtProposalType.app_data_update;
  readonly componentId: number;
} & (
  | { readonly op: typeof AppDataUpdateOperation.update; readonly update: Uint8Array }
  | { readonly op: typeof AppDataUpdateOperation.remove }
);
/** draft-ietf-mls-extensions §2.7 AppEphemeral. */
export interface AppEphemeralProposal {
  readonly proposalType: typeof ExtProposalType.app_ephemeral;
  readonly componentId: number;
  readonly data: Uint8Array;
}
/** draft-ietf-mls-extensions §4.3 SelfRemove. */
export interface SelfRemoveProposal {
  readonly proposalType: typeof ExtProposalType.self_remove;
}

/** draft-ietf-mls-extensions §2.6 AppDataUpdateOperation. */
export const AppDataUpdateOperation = { update: 1, remove: 2 } as const;

/** RFC 9420 §12.1 Proposal, extended with the proposals of draft-ietf-mls-extensions. */
export type Proposal =
  | AddProposal
  | UpdateProposal
  | RemoveProposal
  | PreSharedKeyProposal
  | ReInitProposal
  | ExternalInitProposal
  | GroupContextExtensionsProposal
  | AppDataUpdateProposal
  | AppEphemeralProposal
  | SelfRemoveProposal;

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
    w.u16(wireCode("proposal", p.proposalType));
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
      case ExtProposalType.app_data_update:
        w.u16(p.componentId);
        w.u8(p.op);
        if (p.op === AppDataUpdateOperation.update) w.opaque(p.update);
        break;
      case ExtProposalType.app_ephemeral:
        w.u16(p.componentId);
        w.opaque(p.data);
        break;
      case ExtProposalType.self_remove:
        break;
    }
  },
  decode(r) {
    const t = memoryCode("proposal", r.u16());
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
      case ExtProposalType.app_data_update: {
        const componentId = r.u16();
        const op = r.u8();
        if (op === AppDataUpdateOperation.update)
          return { proposalType: t, componentId, op, update: r.opaque() };
        if (op === AppDataUpdateOperation.remove) return { proposalType: t, componentId, op };
        throw new CodecError(`invalid AppDataUpdateOperation ${op}`);
      }
      case ExtProposalType.app_ephemeral:
        return { proposalType: t, componentId: r.u16(), data: r.opaque() };
      case ExtProposalType.self_remove:
        return { proposalType: t };
      default:
        // A Proposal of an unknown type has no length prefix, so it cannot be skipped (§12.1).
        throw new CodecError(`unsupported proposal type ${t}`);
    }
  },
};
