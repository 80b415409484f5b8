/**
 * Code points of RFC 9420 (§6, §7, §12, §17). Each is a plain `as const` object so values are
 * literal types (for discriminated unions) and unknown values still fit the numeric type.
 */

/** §6 ProtocolVersion */
export const ProtocolVersion = { mls10: 1 } as const;
export type ProtocolVersion = number;

/** §6 ContentType */
export const ContentType = { application: 1, proposal: 2, commit: 3 } as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** §6 SenderType */
export const SenderType = {
  member: 1,
  external: 2,
  new_member_proposal: 3,
  new_member_commit: 4,
} as const;
export type SenderType = (typeof SenderType)[keyof typeof SenderType];

/** §17.2 MLS Wire Formats */
export const WireFormat = {
  mls_public_message: 1,
  mls_private_message: 2,
  mls_welcome: 3,
  mls_group_info: 4,
  mls_key_package: 5,
} as const;
export type WireFormat = number;

/** §17.4 MLS Proposal Types */
export const ProposalType = {
  add: 1,
  update: 2,
  remove: 3,
  psk: 4,
  reinit: 5,
  external_init: 6,
  group_context_extensions: 7,
} as const;
export type ProposalType = number;

/** §17.3 MLS Extension Types */
export const ExtensionType = {
  application_id: 1,
  ratchet_tree: 2,
  required_capabilities: 3,
  external_pub: 4,
  external_senders: 5,
} as const;
export type ExtensionType = number;

/** §17.5 MLS Credential Types */
export const CredentialType = { basic: 1, x509: 2 } as const;
export type CredentialType = number;

/** §7.2 LeafNodeSource */
export const LeafNodeSource = { key_package: 1, update: 2, commit: 3 } as const;
export type LeafNodeSource = (typeof LeafNodeSource)[keyof typeof LeafNodeSource];

/** §7.8 NodeType */
export const NodeType = { leaf: 1, parent: 2 } as const;
export type NodeType = (typeof NodeType)[keyof typeof NodeType];

/** §8.4 PSKType */
export const PSKType = { external: 1, resumption: 2 } as const;
export type PSKType = (typeof PSKType)[keyof typeof PSKType];

/** §8.4 ResumptionPSKUsage */
export const ResumptionPSKUsage = { application: 1, reinit: 2, branch: 3 } as const;
export type ResumptionPSKUsage = number;

/** §12.4 ProposalOrRefType */
export const ProposalOrRefType = { proposal: 1, reference: 2 } as const;
export type ProposalOrRefType = (typeof ProposalOrRefType)[keyof typeof ProposalOrRefType];

/**
 * GREASE values (§13.5): 0x0A0A, 0x1A1A, …, 0xEAEA. Receivers ignore them where unknown values
 * are allowed.
 */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 12 === ((v >> 4) & 0x0f) && v <= 0xeaea;
}
