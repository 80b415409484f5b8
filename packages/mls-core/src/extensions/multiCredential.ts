import { Writer } from "../codec/writer.js";
import { signWithLabel, verifyWithLabel } from "../crypto/labeled.js";
import type { CipherSuite, KeyPair } from "../crypto/provider.js";
import { ValidationError } from "../errors.js";
import type { IdentityProvider } from "../group/identity.js";
import { type Credential, type CredentialBinding, credentialCodec } from "../wire/credential.js";
import type { LeafNode } from "../wire/leafNode.js";
import { ExtCredentialType, wireCode } from "./codepoints.js";

/**
 * Multi-credentials (draft-ietf-mls-extensions §4.5): a LeafNode presents several credentials,
 * each bound to the leaf's signature key by a signature of the credential's own key.
 */

const X = "draft-ietf-mls-extensions §4.5";

function bindingTBS(
  cipherSuite: number,
  credential: Credential,
  credentialKey: Uint8Array,
  signatureKey: Uint8Array,
): Uint8Array {
  const w = new Writer(256);
  w.u16(cipherSuite);
  credentialCodec.encode(w, credential);
  w.opaque(credentialKey);
  w.opaque(signatureKey);
  return w.finish();
}

/** SignWithLabel(credential key, "CredentialBindingTBS", CredentialBindingTBS). */
export async function createCredentialBinding(o: {
  readonly suite: CipherSuite;
  readonly credential: Credential;
  readonly credentialKeyPair: KeyPair;
  /** The signature_key of the LeafNode the multi-credential goes into. */
  readonly leafSignatureKey: Uint8Array;
}): Promise<CredentialBinding> {
  const tbs = bindingTBS(
    o.suite.id,
    o.credential,
    o.credentialKeyPair.publicKey,
    o.leafSignatureKey,
  );
  return {
    cipherSuite: o.suite.id,
    credential: o.credential,
    credentialKey: o.credentialKeyPair.publicKey,
    signature: await signWithLabel(
      o.suite,
      o.credentialKeyPair.privateKey,
      "CredentialBindingTBS",
      tbs,
    ),
  };
}

/** A binding is valid for a leaf if the AS accepts its credential and its signature verifies. */
export async function isValidCredentialBinding(
  b: CredentialBinding,
  leafSignatureKey: Uint8Array,
  suiteOf: (id: number) => CipherSuite | undefined,
  identity: IdentityProvider,
): Promise<boolean> {
  const suite = suiteOf(b.cipherSuite);
  if (suite === undefined) return false;
  if (!(await identity.validateCredential(b.credential, b.credentialKey, "tree"))) return false;
  return verifyWithLabel(
    suite,
    b.credentialKey,
    "CredentialBindingTBS",
    bindingTBS(b.cipherSuite, b.credential, b.credentialKey, leafSignatureKey),
    b.signature,
  );
}

/** What the group's members support, as distinct capability profiles. */
export interface SupportProfile {
  readonly cipherSuites: ReadonlySet<number>;
  readonly credentials: ReadonlySet<number>;
}

/**
 * §4.5 "Verifying a Multi-Credential". `profiles` are the distinct (cipher suites, credential
 * types) capabilities of the group's members; `self` is this client's own support.
 */
export async function validateMultiCredential(
  leaf: LeafNode,
  profiles: readonly SupportProfile[],
  self: SupportProfile,
  suiteOf: (id: number) => CipherSuite | undefined,
  identity: IdentityProvider,
): Promise<void> {
  const c = leaf.credential;
  if (
    c.credentialType !== ExtCredentialType.multi &&
    c.credentialType !== ExtCredentialType.weak_multi
  )
    return;
  const typeCode = wireCode("credential", c.credentialType);
  if (!profiles.every((p) => p.credentials.has(typeCode)))
    throw new ValidationError(X, "a member does not support this multi-credential type");
  const supports = (p: SupportProfile, b: CredentialBinding) =>
    p.cipherSuites.has(b.cipherSuite) &&
    p.credentials.has(wireCode("credential", b.credential.credentialType));
  if (c.credentialType === ExtCredentialType.multi) {
    for (const b of c.bindings) {
      if (!profiles.every((p) => supports(p, b)))
        throw new ValidationError(X, "a member does not support one of the credential bindings");
      if (!(await isValidCredentialBinding(b, leaf.signatureKey, suiteOf, identity)))
        throw new ValidationError(X, "a credential binding is invalid");
    }
    return;
  }
  // weak-multi: every member supports at least one binding; those we support must be valid.
  if (!profiles.every((p) => c.bindings.some((b) => supports(p, b))))
    throw new ValidationError(X, "a member supports none of the credential bindings");
  for (const b of c.bindings)
    if (
      supports(self, b) &&
      !(await isValidCredentialBinding(b, leaf.signatureKey, suiteOf, identity))
    )
      throw new ValidationError(X, "a credential binding is invalid");
}
