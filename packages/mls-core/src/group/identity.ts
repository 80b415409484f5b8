import { encodeBytes } from "../codec/codec.js";
import { bytesEqual } from "../util/bytes.js";
import { type Credential, credentialCodec } from "../wire/credential.js";

/**
 * The Authentication Service seam (RFC 9420 §5.3.1): the application decides which credentials
 * it accepts and which two credentials name the same client. mls-core calls it for every
 * credential it meets (KeyPackages, Update and Commit leaves, trees it joins, external senders).
 */
export interface IdentityProvider {
  /**
   * Accepts or rejects a credential presented with a signature key. `where` says where it
   * appeared, for logs and policy. Return false (or throw) to reject.
   */
  validateCredential(
    credential: Credential,
    signaturePublicKey: Uint8Array,
    where: CredentialContext,
  ): boolean | Promise<boolean>;

  /**
   * True if two credentials present the same client (§12.2: an Add for a client already in the
   * group is invalid unless that client is removed in the same commit).
   */
  isSameClient?(a: Credential, b: Credential): boolean;
}

export type CredentialContext =
  | "key_package"
  | "update"
  | "commit"
  | "tree"
  | "external_sender"
  | "external_commit";

/** Accepts every basic and x509 credential; suitable for tests and for apps that authenticate
 * identities out of band. Production applications should provide their own. */
export const acceptAllIdentities: IdentityProvider = {
  validateCredential: () => true,
};

/**
 * Whether two credentials name the same client "according to the application" (RFC 9420
 * §11.3, §12.4.3.1): the provider's `isSameClient`, or else identical credentials.
 */
export function sameClient(identity: IdentityProvider, a: Credential, b: Credential): boolean {
  return (
    identity.isSameClient?.(a, b) ??
    bytesEqual(encodeBytes(credentialCodec, a), encodeBytes(credentialCodec, b))
  );
}
