import {
  type Credential,
  CredentialType,
  credentialCodec,
  encodeBytes,
  type RatchetTree,
  toHex,
  ValidationError,
} from "@hpqmls/mls-core";

/**
 * Membership consistency between the two groups (hpqmls decision E8): after every FULL commit,
 * Welcome and external join, the multiset of credential identities in the T tree equals that of
 * the PQ tree. A client appears in both groups with the same credential identity.
 */

/** How a credential maps to the identity compared across the two groups. */
export type IdentityOf = (credential: Credential) => string;

/** Default: the identity of a basic credential, else the whole encoded credential. */
export const defaultIdentityOf: IdentityOf = (c) =>
  c.credentialType === CredentialType.basic
    ? `basic:${toHex(c.identity)}`
    : `cred:${toHex(encodeBytes(credentialCodec, c))}`;

export function identities(tree: RatchetTree, identityOf: IdentityOf): string[] {
  const out: string[] = [];
  for (const [, leaf] of tree.members()) out.push(identityOf(leaf.credential));
  return out.sort();
}

/** Throws unless both trees hold the same multiset of identities. */
export function checkMembership(t: RatchetTree, pq: RatchetTree, identityOf: IdentityOf): void {
  const a = identities(t, identityOf);
  const b = identities(pq, identityOf);
  if (a.length !== b.length || a.some((x, i) => x !== b[i]))
    throw new ValidationError(
      "draft-ietf-mls-combiner §Removing a Group Member",
      "the T and PQ groups do not have the same members",
    );
}

/** The leaf of the member with this identity, or undefined. */
export function leafOf(
  tree: RatchetTree,
  identity: string,
  identityOf: IdentityOf,
): number | undefined {
  for (const [index, leaf] of tree.members())
    if (identityOf(leaf.credential) === identity) return index;
  return undefined;
}
