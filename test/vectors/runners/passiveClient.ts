import {
  decodeBytes,
  fromHex,
  groupConfig,
  InMemoryPskStore,
  keyPackageRef,
  MlsGroup,
  mlsMessageCodec,
  RatchetTree,
  ratchetTreeCodec,
  WireFormat,
} from "@hpqmls/mls-core";
import { expectEqualBytes, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";
import { hpkePrivateKey, signaturePrivateKey } from "./keys.js";

/** Vector KeyPackages predate the session; lifetimes are not what is being tested here. */
const config = groupConfig({ checkReceivedLifetimes: false, maxLifetime: 1n << 64n });

async function runPassive(c: unknown): Promise<void> {
  const f = new Fields(c);
  const cipherSuite = f.num("cipher_suite");
  const suite = vectorSuite(cipherSuite);
  const psks = new InMemoryPskStore();
  for (const p of f.objects("external_psks")) psks.add(p.hex("psk_id"), p.hex("psk"));
  const kpMsg = decodeBytes(mlsMessageCodec, f.hex("key_package"));
  if (kpMsg.wireFormat !== WireFormat.mls_key_package)
    throw new Error("key_package is not a KeyPackage");
  const keyPackage = kpMsg.keyPackage;
  const treeBytes = f.optionalHex("ratchet_tree");
  const group = await MlsGroup.join({
    suite,
    welcome: decodeBytes(mlsMessageCodec, f.hex("welcome")),
    keyPackage: {
      keyPackage,
      ref: await keyPackageRef(suite, keyPackage),
      privateKeys: {
        initPrivateKey: hpkePrivateKey(cipherSuite, f.hex("init_priv")),
        encryptionPrivateKey: hpkePrivateKey(cipherSuite, f.hex("encryption_priv")),
        signaturePrivateKey: signaturePrivateKey(cipherSuite, f.hex("signature_priv")),
      },
    },
    ...(treeBytes === undefined
      ? {}
      : { ratchetTree: RatchetTree.fromNodes(decodeBytes(ratchetTreeCodec, treeBytes)) }),
    config,
    psks,
  });
  expectEqualBytes(
    "initial_epoch_authenticator",
    group.epochAuthenticator,
    f.hex("initial_epoch_authenticator"),
  );
  const epochs = f.objects("epochs");
  for (let i = 0; i < epochs.length; i++) {
    const e = epochs[i]!;
    for (const p of e.array("proposals")) {
      if (typeof p !== "string") throw new Error("proposal is not hex");
      await group.process(fromHex(p));
    }
    const r = await group.process(e.hex("commit"));
    if (r.kind !== "commit") throw new Error(`epoch ${i}: the commit message is a ${r.kind}`);
    await group.merge(r.staged);
    expectEqualBytes(
      `epoch ${i} epoch_authenticator`,
      group.epochAuthenticator,
      e.hex("epoch_authenticator"),
    );
  }
}

export const passiveClientWelcome: VectorRunner = {
  name: "passive-client-welcome",
  runCase: runPassive,
};
export const passiveClientHandlingCommit: VectorRunner = {
  name: "passive-client-handling-commit",
  runCase: runPassive,
};
export const passiveClientRandom: VectorRunner = {
  name: "passive-client-random",
  runCase: runPassive,
};
