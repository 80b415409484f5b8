import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { ProposalOrRefType } from "./enums.js";
import { type Proposal, proposalCodec } from "./proposal.js";
import { type UpdatePath, updatePathCodec } from "./updatePath.js";

/** RFC 9420 §12.4 ProposalOrRef. */
export type ProposalOrRef =
  | { readonly type: typeof ProposalOrRefType.proposal; readonly proposal: Proposal }
  | { readonly type: typeof ProposalOrRefType.reference; readonly reference: Uint8Array };

export const proposalOrRefCodec: Codec<ProposalOrRef> = {
  encode(w, p) {
    w.u8(p.type);
    if (p.type === ProposalOrRefType.proposal) proposalCodec.encode(w, p.proposal);
    else w.opaque(p.reference);
  },
  decode(r) {
    const t = r.u8();
    if (t === ProposalOrRefType.proposal) return { type: t, proposal: proposalCodec.decode(r) };
    if (t === ProposalOrRefType.reference) return { type: t, reference: r.opaque() };
    throw new CodecError(`invalid ProposalOrRefType ${t}`);
  },
};

/** RFC 9420 §12.4 Commit. */
export interface Commit {
  readonly proposals: ProposalOrRef[];
  readonly path?: UpdatePath | undefined;
}

export const commitCodec: Codec<Commit> = {
  encode(w, c) {
    w.vector(c.proposals, proposalOrRefCodec.encode);
    w.optional(c.path, updatePathCodec.encode);
  },
  decode(r) {
    const proposals = r.vector(proposalOrRefCodec.decode);
    const path = r.optional(updatePathCodec.decode);
    return path === undefined ? { proposals } : { proposals, path };
  },
};
