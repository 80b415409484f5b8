import {
  deriveEpochSecret,
  deriveEpochSecrets,
  deriveExternalKeyPair,
  deriveJoinerSecret,
  encodeBytes,
  groupContextCodec,
  mlsExporter,
  ProtocolVersion,
} from "@hpqmls/mls-core";
import { expectEqualBytes, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";

export const keySchedule: VectorRunner = {
  name: "key-schedule",
  async runCase(c) {
    const f = new Fields(c);
    const cipherSuite = f.num("cipher_suite");
    const suite = vectorSuite(cipherSuite);
    const groupId = f.hex("group_id");
    let initSecret = f.hex("initial_init_secret");
    const epochs = f.objects("epochs");
    for (let i = 0; i < epochs.length; i++) {
      const e = epochs[i]!;
      const at = (what: string) => `epoch ${i} ${what}`;
      const gc = encodeBytes(groupContextCodec, {
        version: ProtocolVersion.mls10,
        cipherSuite,
        groupId,
        epoch: BigInt(i),
        treeHash: e.hex("tree_hash"),
        confirmedTranscriptHash: e.hex("confirmed_transcript_hash"),
        extensions: [],
      });
      expectEqualBytes(at("group_context"), gc, e.hex("group_context"));
      const joiner = await deriveJoinerSecret(suite, initSecret, e.hex("commit_secret"), gc);
      expectEqualBytes(at("joiner_secret"), joiner, e.hex("joiner_secret"));
      const { welcomeSecret, epochSecret } = await deriveEpochSecret(
        suite,
        joiner,
        e.hex("psk_secret"),
        gc,
      );
      expectEqualBytes(at("welcome_secret"), welcomeSecret, e.hex("welcome_secret"));
      const s = await deriveEpochSecrets(suite, epochSecret);
      expectEqualBytes(at("init_secret"), s.initSecret, e.hex("init_secret"));
      expectEqualBytes(at("sender_data_secret"), s.senderDataSecret, e.hex("sender_data_secret"));
      expectEqualBytes(at("encryption_secret"), s.encryptionSecret, e.hex("encryption_secret"));
      expectEqualBytes(at("exporter_secret"), s.exporterSecret, e.hex("exporter_secret"));
      expectEqualBytes(
        at("epoch_authenticator"),
        s.epochAuthenticator,
        e.hex("epoch_authenticator"),
      );
      expectEqualBytes(at("external_secret"), s.externalSecret, e.hex("external_secret"));
      expectEqualBytes(at("confirmation_key"), s.confirmationKey, e.hex("confirmation_key"));
      expectEqualBytes(at("membership_key"), s.membershipKey, e.hex("membership_key"));
      expectEqualBytes(at("resumption_psk"), s.resumptionPsk, e.hex("resumption_psk"));
      const ext = await deriveExternalKeyPair(suite, s.externalSecret);
      expectEqualBytes(at("external_pub"), ext.publicKey, e.hex("external_pub"));
      const x = e.obj_("exporter");
      expectEqualBytes(
        at("exporter.secret"),
        await mlsExporter(
          suite,
          s.exporterSecret,
          // The label is used as the literal string the vector holds (it happens to be hex).
          x.str("label"),
          x.hex("context"),
          x.num("length"),
        ),
        x.hex("secret"),
      );
      initSecret = s.initSecret;
    }
  },
};
