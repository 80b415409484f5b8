import { decodeBytes, encodeBytes } from "../codec/codec.js";
import {
  decryptWithLabel,
  encryptWithLabel,
  signWithLabel,
  verifyWithLabel,
} from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CodecError, ValidationError } from "../errors.js";
import type { Extension } from "../wire/extension.js";
import { ComponentId } from "./codepoints.js";
import { componentData } from "./components.js";
import {
  type ComponentID,
  componentOperationLabel,
  type SafeAADItem,
  safeAADCodec,
} from "./wire.js";

/**
 * The Safe Application Interface (draft-ietf-mls-extensions §2): HPKE and signatures domain-
 * separated per component, and Safe AAD.
 */

/** §2.1 SafeEncryptWithLabel = EncryptWithLabel(pk, ComponentOperationLabel, context, pt). */
export function safeEncryptWithLabel(
  suite: CipherSuite,
  publicKey: Uint8Array,
  componentId: ComponentID,
  label: string | Uint8Array,
  context: Uint8Array,
  plaintext: Uint8Array,
): Promise<{ kemOutput: Uint8Array; ciphertext: Uint8Array }> {
  return encryptWithLabel(
    suite,
    publicKey,
    componentOperationLabel(componentId, label),
    context,
    plaintext,
  );
}

/** §2.1 SafeDecryptWithLabel; `componentId` must be the caller's own. */
export function safeDecryptWithLabel(
  suite: CipherSuite,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
  componentId: ComponentID,
  label: string | Uint8Array,
  context: Uint8Array,
  kemOutput: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  return decryptWithLabel(
    suite,
    privateKey,
    publicKey,
    componentOperationLabel(componentId, label),
    context,
    kemOutput,
    ciphertext,
  );
}

/** §2.2 SafeSignWithLabel; `componentId` must be the caller's own. */
export function safeSignWithLabel(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  componentId: ComponentID,
  label: string | Uint8Array,
  content: Uint8Array,
): Promise<Uint8Array> {
  return signWithLabel(
    suite,
    signaturePrivateKey,
    componentOperationLabel(componentId, label),
    content,
  );
}

/** §2.2 SafeVerifyWithLabel. */
export function safeVerifyWithLabel(
  suite: CipherSuite,
  signaturePublicKey: Uint8Array,
  componentId: ComponentID,
  label: string | Uint8Array,
  content: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return verifyWithLabel(
    suite,
    signaturePublicKey,
    componentOperationLabel(componentId, label),
    content,
    signature,
  );
}

/** §2.8: true if the group frames `authenticated_data` as SafeAAD (safe_aad in its dictionary). */
export function groupUsesSafeAAD(groupContextExtensions: readonly Extension[]): boolean {
  return componentData(groupContextExtensions, ComponentId.safe_aad) !== undefined;
}

/** §2.8: encodes SafeAAD items (sorted by component id, one per id). */
export function encodeSafeAAD(items: readonly SafeAADItem[]): Uint8Array {
  const sorted = [...items].sort((a, b) => a.componentId - b.componentId);
  return encodeBytes(safeAADCodec, sorted);
}

/** §2.8: parses `authenticated_data` as SafeAAD; a malformed or unsorted one is invalid. */
export function parseSafeAAD(authenticatedData: Uint8Array): SafeAADItem[] {
  try {
    return decodeBytes(safeAADCodec, authenticatedData);
  } catch (e) {
    if (e instanceof CodecError)
      throw new ValidationError(
        "draft-ietf-mls-extensions §2.8",
        `authenticated_data is not a valid SafeAAD: ${e.message}`,
      );
    throw e;
  }
}

/** The SafeAAD item of one component in a message's authenticated data, if any. */
export function safeAADItem(
  authenticatedData: Uint8Array,
  componentId: ComponentID,
): Uint8Array | undefined {
  return parseSafeAAD(authenticatedData).find((i) => i.componentId === componentId)?.data;
}
