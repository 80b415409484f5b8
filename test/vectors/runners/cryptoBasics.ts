import {
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  encryptWithLabel,
  expandWithLabel,
  refHash,
  signWithLabel,
  verifyWithLabel,
} from "@hpqmls/mls-core";
import { expectEqualBytes, expectTrue, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";
import { signaturePrivateKey } from "./keys.js";

export const cryptoBasics: VectorRunner = {
  name: "crypto-basics",
  async runCase(c) {
    const f = new Fields(c);
    const suite = vectorSuite(f.num("cipher_suite"));

    const rh = f.obj_("ref_hash");
    expectEqualBytes(
      "ref_hash",
      await refHash(suite, rh.str("label"), rh.hex("value")),
      rh.hex("out"),
    );

    const ewl = f.obj_("expand_with_label");
    expectEqualBytes(
      "expand_with_label",
      await expandWithLabel(
        suite,
        ewl.hex("secret"),
        ewl.str("label"),
        ewl.hex("context"),
        ewl.num("length"),
      ),
      ewl.hex("out"),
    );

    const ds = f.obj_("derive_secret");
    expectEqualBytes(
      "derive_secret",
      await deriveSecret(suite, ds.hex("secret"), ds.str("label")),
      ds.hex("out"),
    );

    const dts = f.obj_("derive_tree_secret");
    expectEqualBytes(
      "derive_tree_secret",
      await deriveTreeSecret(
        suite,
        dts.hex("secret"),
        dts.str("label"),
        dts.num("generation"),
        dts.num("length"),
      ),
      dts.hex("out"),
    );

    const swl = f.obj_("sign_with_label");
    const pub = swl.hex("pub");
    const label = swl.str("label");
    const content = swl.hex("content");
    expectTrue(
      "sign_with_label: the vector's signature does not verify",
      await verifyWithLabel(suite, pub, label, content, swl.hex("signature")),
    );
    const priv = signaturePrivateKey(suite.id, swl.hex("priv"));
    const own = await signWithLabel(suite, priv, label, content);
    expectTrue(
      "sign_with_label: our signature does not verify",
      await verifyWithLabel(suite, pub, label, content, own),
    );

    const e = f.obj_("encrypt_with_label");
    const ePriv = e.hex("priv");
    const ePub = e.hex("pub");
    const eLabel = e.str("label");
    const ctx = e.hex("context");
    const pt = e.hex("plaintext");
    expectEqualBytes(
      "decrypt_with_label",
      await decryptWithLabel(
        suite,
        ePriv,
        ePub,
        eLabel,
        ctx,
        e.hex("kem_output"),
        e.hex("ciphertext"),
      ),
      pt,
    );
    const sealed = await encryptWithLabel(suite, ePub, eLabel, ctx, pt);
    expectEqualBytes(
      "encrypt_with_label round trip",
      await decryptWithLabel(suite, ePriv, ePub, eLabel, ctx, sealed.kemOutput, sealed.ciphertext),
      pt,
    );
  },
};
