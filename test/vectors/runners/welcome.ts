import {
  bytesEqual,
  computeConfirmationTag,
  computePskSecret,
  decodeBytes,
  decryptWithLabel,
  deriveWelcomeSecret,
  encodeBytes,
  encodeGroupContext,
  fromJoinerSecret,
  groupInfoCodec,
  groupInfoTBSCodec,
  groupSecretsCodec,
  keyPackageRef,
  mlsMessageCodec,
  verifyWithLabel,
  WireFormat,
  welcomeKeyAndNonce,
} from "@hpqmls/mls-core";
import { expectEqualBytes, expectTrue, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";
import { hpkePrivateKey } from "./keys.js";

export const welcome: VectorRunner = {
  name: "welcome",
  async runCase(c) {
    const f = new Fields(c);
    const cipherSuite = f.num("cipher_suite");
    const suite = vectorSuite(cipherSuite);
    const kpMsg = decodeBytes(mlsMessageCodec, f.hex("key_package"));
    const wMsg = decodeBytes(mlsMessageCodec, f.hex("welcome"));
    if (kpMsg.wireFormat !== WireFormat.mls_key_package)
      throw new Error("key_package is not a KeyPackage");
    if (wMsg.wireFormat !== WireFormat.mls_welcome) throw new Error("welcome is not a Welcome");
    const kp = kpMsg.keyPackage;
    const w = wMsg.welcome;
    const ref = await keyPackageRef(suite, kp);
    const entry = w.secrets.find((s) => bytesEqual(s.newMember, ref));
    if (entry === undefined) throw new Error("no EncryptedGroupSecrets for the KeyPackage");
    const gs = decodeBytes(
      groupSecretsCodec,
      await decryptWithLabel(
        suite,
        hpkePrivateKey(cipherSuite, f.hex("init_priv")),
        kp.initKey,
        "Welcome",
        w.encryptedGroupInfo,
        entry.encryptedGroupSecrets.kemOutput,
        entry.encryptedGroupSecrets.ciphertext,
      ),
    );
    const pskSecret = await computePskSecret(suite, []);
    const { key, nonce } = await welcomeKeyAndNonce(
      suite,
      await deriveWelcomeSecret(suite, gs.joinerSecret, pskSecret),
    );
    const gi = decodeBytes(
      groupInfoCodec,
      await suite.aead.open(key, nonce, new Uint8Array(0), w.encryptedGroupInfo),
    );
    expectTrue(
      "GroupInfo signature",
      await verifyWithLabel(
        suite,
        f.hex("signer_pub"),
        "GroupInfoTBS",
        encodeBytes(groupInfoTBSCodec, gi),
        gi.signature,
      ),
    );
    const { secrets } = await fromJoinerSecret(
      suite,
      gs.joinerSecret,
      [],
      encodeGroupContext(gi.groupContext),
    );
    expectEqualBytes(
      "confirmation_tag",
      await computeConfirmationTag(
        suite,
        secrets.confirmationKey,
        gi.groupContext.confirmedTranscriptHash,
      ),
      gi.confirmationTag,
    );
  },
};
