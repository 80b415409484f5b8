import { computePskSecret, PSKType } from "@hpqmls/mls-core";
import { expectEqualBytes, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";

export const pskSecret: VectorRunner = {
  name: "psk_secret",
  async runCase(c) {
    const f = new Fields(c);
    const suite = vectorSuite(f.num("cipher_suite"));
    const psks = f.objects("psks").map((p) => ({
      id: { psktype: PSKType.external, pskId: p.hex("psk_id"), pskNonce: p.hex("psk_nonce") },
      psk: p.hex("psk"),
    }));
    expectEqualBytes("psk_secret", await computePskSecret(suite, psks), f.hex("psk_secret"));
  },
};
