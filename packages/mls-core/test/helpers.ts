import {
  basicCredential,
  type CipherSuite,
  type Credential,
  generateKeyPackage,
  type KeyPackageBundle,
  type KeyPair,
  type MLSMessage,
  type MlsGroup,
  utf8,
} from "../src/index.js";

/** A test client: a basic credential and a signature key pair. */
export interface TestClient {
  readonly name: string;
  readonly credential: Credential;
  readonly signatureKeyPair: KeyPair;
}

export async function newClient(suite: CipherSuite, name: string): Promise<TestClient> {
  return {
    name,
    credential: basicCredential(utf8(name)),
    signatureKeyPair: await suite.signature.generateKeyPair(),
  };
}

export function keyPackageFor(suite: CipherSuite, c: TestClient): Promise<KeyPackageBundle> {
  return generateKeyPackage({
    suite,
    credential: c.credential,
    signatureKeyPair: c.signatureKeyPair,
  });
}

/** Delivers a commit to every other member and merges it everywhere, including the sender. */
export async function deliverCommit(
  sender: MlsGroup,
  staged: Parameters<MlsGroup["merge"]>[0],
  commit: MLSMessage,
  others: readonly MlsGroup[],
): Promise<void> {
  for (const g of others) {
    const r = await g.process(commit);
    if (r.kind !== "commit") throw new Error(`expected a commit, got ${r.kind}`);
    await g.merge(r.staged);
  }
  await sender.merge(staged);
}
