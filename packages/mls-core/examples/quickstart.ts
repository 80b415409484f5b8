import {
  basicCredential,
  generateKeyPackage,
  getCipherSuite,
  MlsGroup,
  utf8,
} from "@hpqmls/mls-core";

export async function quickstart(): Promise<{ text: string; sameSecret: boolean }> {
  const suite = getCipherSuite(1); // MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519

  // Each client has a credential and a signature key pair.
  const alice = {
    credential: basicCredential(utf8("alice")),
    signatureKeyPair: await suite.signature.generateKeyPair(),
  };
  const bob = {
    credential: basicCredential(utf8("bob")),
    signatureKeyPair: await suite.signature.generateKeyPair(),
  };

  // Bob publishes a KeyPackage and keeps its private keys.
  const bobKeyPackage = await generateKeyPackage({ suite, ...bob });

  // Alice creates a group and adds Bob. A commit stays staged until it is merged.
  const group = await MlsGroup.create({ suite, ...alice });
  const { welcome, staged } = await group.commit({ add: [bobKeyPackage.keyPackage] });
  await group.merge(staged); // once the delivery service accepted the commit

  // Bob joins from the Welcome.
  const bobGroup = await MlsGroup.join({ suite, welcome: welcome!, keyPackage: bobKeyPackage });

  // Application messages are PrivateMessages.
  const message = await group.encrypt(utf8("hi Bob"));
  const received = await bobGroup.process(message);
  const text = received.kind === "application" ? new TextDecoder().decode(received.data) : "";

  // Both derive the same exported secret.
  const a = await group.exportSecret("my-app", utf8(""), 32);
  const b = await bobGroup.exportSecret("my-app", utf8(""), 32);
  return { text, sameSecret: a.every((x, i) => x === b[i]) };
}
