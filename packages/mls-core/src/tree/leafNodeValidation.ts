import { encodeBytes } from "../codec/codec.js";
import { signWithLabel, verifyWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { getCipherSuite, isSupportedCipherSuite } from "../crypto/suites.js";
import { CryptoError, ValidationError } from "../errors.js";
import { ExtCredentialType, extType, wireCode } from "../extensions/codepoints.js";
import { type SupportProfile, validateMultiCredential } from "../extensions/multiCredential.js";
import { missingRequiredComponent, validateAppDataDictionary } from "../extensions/validation.js";
import { wireFormatsCodec } from "../extensions/wire.js";
import type { CredentialContext, IdentityProvider } from "../group/identity.js";
import { ExtensionType, isGrease, LeafNodeSource, ProposalType } from "../wire/enums.js";
import { type Extension, getExtension } from "../wire/extension.js";
import { type RequiredCapabilities, requiredCapabilitiesCodec } from "../wire/extensions.js";
import {
  type Capabilities,
  type LeafNode,
  type LeafNodeTBSCore,
  leafNodeTBSCodec,
} from "../wire/leafNode.js";

/**
 * LeafNode signing and validation (RFC 9420 §7.2, §7.3).
 */

function suiteIfSupported(id: number): CipherSuite | undefined {
  return isSupportedCipherSuite(id) ? getCipherSuite(id) : undefined;
}

/** What this client can verify in a weak multi-credential (extensions §4.5). */
const SELF_SUPPORT: SupportProfile = {
  get cipherSuites() {
    return new Set([1, 2, 3, 4, 5, 6, 7].filter(isSupportedCipherSuite));
  },
  credentials: new Set([1, 2, ExtCredentialType.multi, ExtCredentialType.weak_multi]),
};

/** Extension types every implementation supports and never lists in capabilities (§7.2). */
export const DEFAULT_EXTENSION_TYPES: readonly number[] = Object.values(ExtensionType);
/** Proposal types every implementation supports and never lists in capabilities (§7.2). */
export const DEFAULT_PROPOSAL_TYPES: readonly number[] = Object.values(ProposalType);

export function isDefaultExtension(t: number): boolean {
  return t >= 1 && t <= 5;
}

export function isDefaultProposal(t: number): boolean {
  return t >= 1 && t <= 7;
}

/** Where the leaf sits, for the LeafNodeTBS of `update` and `commit` leaves. */
export interface LeafPosition {
  readonly groupId: Uint8Array;
  readonly leafIndex: number;
}

function tbs(leaf: LeafNodeTBSCore, position: LeafPosition | undefined): Uint8Array {
  return encodeBytes(leafNodeTBSCodec, {
    leafNode: leaf,
    ...(position === undefined ? {} : { groupId: position.groupId, leafIndex: position.leafIndex }),
  });
}

/** SignWithLabel(., "LeafNodeTBS", LeafNodeTBS). */
export async function signLeafNode(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  leaf: LeafNodeTBSCore,
  position?: LeafPosition,
): Promise<LeafNode> {
  const signature = await signWithLabel(
    suite,
    signaturePrivateKey,
    "LeafNodeTBS",
    tbs(leaf, position),
  );
  return { ...leaf, signature } as LeafNode;
}

export async function verifyLeafNodeSignature(
  suite: CipherSuite,
  leaf: LeafNode,
  position?: LeafPosition,
): Promise<boolean> {
  if (leaf.leafNodeSource !== LeafNodeSource.key_package && position === undefined) return false;
  return verifyWithLabel(
    suite,
    leaf.signatureKey,
    "LeafNodeTBS",
    tbs(leaf, leaf.leafNodeSource === LeafNodeSource.key_package ? undefined : position),
    leaf.signature,
  );
}

/** The group's required_capabilities extension, if any. */
export function requiredCapabilities(
  groupContextExtensions: readonly Extension[],
): RequiredCapabilities | undefined {
  return getExtension(
    groupContextExtensions,
    ExtensionType.required_capabilities,
    requiredCapabilitiesCodec,
  );
}

/** §7.3 / §11.1: does `caps` list everything the group requires? */
export function supportsRequiredCapabilities(
  caps: Capabilities,
  required: RequiredCapabilities | undefined,
): boolean {
  if (required === undefined) return true;
  return (
    required.extensionTypes.every((t) => isDefaultExtension(t) || caps.extensions.includes(t)) &&
    required.proposalTypes.every((t) => isDefaultProposal(t) || caps.proposals.includes(t)) &&
    required.credentialTypes.every((t) => caps.credentials.includes(t))
  );
}

/** §13.4: a joining leaf must support every extension in the GroupContext. */
export function supportsGroupContextExtensions(
  caps: Capabilities,
  groupContextExtensions: readonly Extension[],
): boolean {
  return groupContextExtensions.every(
    (e) => isDefaultExtension(e.extensionType) || caps.extensions.includes(e.extensionType),
  );
}

/** extensions §3: the wire formats a leaf lists in its supported_wire_formats extension. */
export function supportedWireFormats(leaf: LeafNode): number[] {
  return getExtension(leaf.extensions, extType("supported_wire_formats"), wireFormatsCodec) ?? [];
}

/**
 * extensions §3 (mirroring RFC 9420 §11.1): a leaf must support every wire format in the group's
 * required_wire_formats extension.
 */
export function supportsRequiredWireFormats(
  leaf: LeafNode,
  groupContextExtensions: readonly Extension[],
): boolean {
  const required = getExtension(
    groupContextExtensions,
    extType("required_wire_formats"),
    wireFormatsCodec,
  );
  if (required === undefined || required.length === 0) return true;
  const supported = supportedWireFormats(leaf);
  return required.every((wf) => (wf >= 1 && wf <= 5) || supported.includes(wf));
}

export interface LeafNodeCheck {
  readonly suite: CipherSuite;
  /** Which LeafNodeSource the context requires (§7.3 "Verify the leaf_node_source field"). */
  readonly expectedSource: (typeof LeafNodeSource)[keyof typeof LeafNodeSource];
  /** Group id and leaf index for `update`/`commit` leaves. */
  readonly position?: LeafPosition;
  readonly groupContextExtensions: readonly Extension[];
  readonly identity: IdentityProvider;
  readonly credentialContext: CredentialContext;
  /** The group's credential types (§7.3 "credential type is supported by all members"). */
  readonly credentialTypes?: CredentialTypeSummary;
  /** Seconds since the Unix epoch; when set, `lifetime` is checked (§7.3). */
  readonly now?: bigint;
}

/**
 * §7.3 Leaf Node Validation, except the group-wide uniqueness of keys (checked where the whole
 * tree is known). Throws `ValidationError` or `CryptoError`.
 */
export async function validateLeafNode(leaf: LeafNode, c: LeafNodeCheck): Promise<void> {
  const rule = "RFC9420 §7.3";
  // The source decides what the signature covers (LeafNodeTBS), so it is checked first.
  if (leaf.leafNodeSource !== c.expectedSource)
    throw new ValidationError(rule, `leaf_node_source must be ${c.expectedSource}`);
  if (
    !(await c.identity.validateCredential(leaf.credential, leaf.signatureKey, c.credentialContext))
  )
    throw new ValidationError("RFC9420 §5.3.1", "the credential was rejected by the application");
  if (
    leaf.credential.credentialType === ExtCredentialType.multi ||
    leaf.credential.credentialType === ExtCredentialType.weak_multi
  ) {
    const own: SupportProfile = {
      cipherSuites: new Set(leaf.capabilities.cipherSuites),
      credentials: new Set(leaf.capabilities.credentials),
    };
    await validateMultiCredential(
      leaf,
      c.credentialTypes?.profiles ?? [own],
      SELF_SUPPORT,
      suiteIfSupported,
      c.identity,
    );
  }
  if (!(await verifyLeafNodeSignature(c.suite, leaf, c.position)))
    throw new CryptoError("invalid LeafNode signature (RFC 9420 §7.3)");
  if (
    !supportsRequiredCapabilities(leaf.capabilities, requiredCapabilities(c.groupContextExtensions))
  )
    throw new ValidationError(rule, "the leaf does not support the group's required capabilities");
  if (!supportsRequiredWireFormats(leaf, c.groupContextExtensions))
    throw new ValidationError(
      "draft-ietf-mls-extensions §3",
      "the leaf does not support the group's required wire formats",
    );
  // extensions §2.5 / §3: a well-formed dictionary, listing every component the group requires.
  validateAppDataDictionary(leaf.extensions, "LeafNode");
  const missing = missingRequiredComponent(leaf.extensions, c.groupContextExtensions);
  if (missing !== undefined)
    throw new ValidationError(
      "draft-ietf-mls-extensions §3",
      `the leaf's ${missing.list} list lacks component ${missing.componentId}, which the group requires`,
    );
  if (
    !leaf.capabilities.credentials.includes(wireCode("credential", leaf.credential.credentialType))
  )
    throw new ValidationError(rule, "the leaf's capabilities do not list its own credential type");
  if (c.credentialTypes !== undefined) {
    if (
      !c.credentialTypes.supportedByAll.has(wireCode("credential", leaf.credential.credentialType))
    )
      throw new ValidationError(rule, "a member does not support this leaf's credential type");
    for (const t of c.credentialTypes.inUse)
      if (!leaf.capabilities.credentials.includes(t))
        throw new ValidationError(rule, "the leaf does not support a credential type in use");
  }
  if (c.now !== undefined && leaf.leafNodeSource === LeafNodeSource.key_package) {
    const { notBefore, notAfter } = leaf.lifetime;
    if (c.now < notBefore || c.now > notAfter)
      throw new ValidationError(rule, "the leaf's lifetime does not cover the current time");
  }
  for (const e of leaf.extensions) {
    if (
      !isDefaultExtension(e.extensionType) &&
      !leaf.capabilities.extensions.includes(e.extensionType)
    )
      throw new ValidationError(rule, `extension ${e.extensionType} is not listed in capabilities`);
  }
  const seen = new Set<number>();
  for (const e of leaf.extensions) {
    if (seen.has(e.extensionType))
      throw new ValidationError("RFC9420 §13.4", "duplicate extension in the leaf");
    seen.add(e.extensionType);
  }
}

/** Credential types in use by a set of leaves, and those every one of them supports. */
export interface CredentialTypeSummary {
  readonly inUse: ReadonlySet<number>;
  readonly supportedByAll: ReadonlySet<number>;
  /** The distinct (cipher suites, credential types) the members support (multi-credentials). */
  readonly profiles: readonly SupportProfile[];
}

export function summarizeCredentialTypes(leaves: Iterable<LeafNode>): CredentialTypeSummary {
  const inUse = new Set<number>();
  let supportedByAll: Set<number> | undefined;
  const profiles = new Map<string, SupportProfile>();
  for (const l of leaves) {
    const key = `${l.capabilities.cipherSuites.join(",")}|${l.capabilities.credentials.join(",")}`;
    if (!profiles.has(key))
      profiles.set(key, {
        cipherSuites: new Set(l.capabilities.cipherSuites),
        credentials: new Set(l.capabilities.credentials),
      });
    inUse.add(wireCode("credential", l.credential.credentialType));
    const caps = new Set(l.capabilities.credentials);
    if (supportedByAll === undefined) supportedByAll = caps;
    else for (const t of supportedByAll) if (!caps.has(t)) supportedByAll.delete(t);
  }
  return { inUse, supportedByAll: supportedByAll ?? new Set(), profiles: [...profiles.values()] };
}

/** §13.5: capabilities a client advertises about itself; GREASE values are filtered out. */
export function withoutGrease(values: readonly number[]): number[] {
  return values.filter((v) => !isGrease(v));
}
