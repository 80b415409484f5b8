import { SecretTree, senderDataKeyAndNonce, toLeafIndex } from "@hpqmls/mls-core";
import { expectEqualBytes, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";

export const secretTree: VectorRunner = {
  name: "secret-tree",
  async runCase(c) {
    const f = new Fields(c);
    const suite = vectorSuite(f.num("cipher_suite"));
    const sd = f.obj_("sender_data");
    const kn = await senderDataKeyAndNonce(
      suite,
      sd.hex("sender_data_secret"),
      sd.hex("ciphertext"),
    );
    expectEqualBytes("sender_data key", kn.key, sd.hex("key"));
    expectEqualBytes("sender_data nonce", kn.nonce, sd.hex("nonce"));

    const leaves = f.array("leaves");
    // Generations in the vectors are far apart; allow the look-ahead they need.
    const tree = new SecretTree(suite, f.hex("encryption_secret"), leaves.length, {
      outOfOrderTolerance: 0,
      maximumForwardDistance: 1 << 20,
    });
    for (let i = 0; i < leaves.length; i++) {
      const gens = new Fields({ generations: leaves[i] }, `leaves[${i}]`).objects("generations");
      for (const g of gens) {
        const gen = g.num("generation");
        for (const type of ["handshake", "application"] as const) {
          const ratchet = await tree.ratchet(toLeafIndex(i), type);
          const k = await ratchet.get(gen);
          expectEqualBytes(`leaf ${i} ${type} key @${gen}`, k.key, g.hex(`${type}_key`));
          expectEqualBytes(`leaf ${i} ${type} nonce @${gen}`, k.nonce, g.hex(`${type}_nonce`));
          k.consume();
        }
      }
    }
  },
};
