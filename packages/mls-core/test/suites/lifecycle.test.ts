import { describe, expect, it } from "vitest";
import {
  CIPHER_SUITES,
  type CipherSuite,
  getCipherSuite,
  InMemoryPskStore,
  type MLSMessage,
  MlsGroup,
  PQ_CIPHER_SUITES,
  PSKType,
  utf8,
  ValidationError,
} from "../../src/index.js";
import { deliverCommit, keyPackageFor, newClient } from "../helpers.js";

/**
 * One group's life on every cipher suite: the seven of RFC 9420 and the eleven of
 * draft-ietf-mls-pq-ciphersuites-06, through the public API only.
 */

const SUITES = [...CIPHER_SUITES, ...PQ_CIPHER_SUITES].map(
  (s) => [`0x${s.id.toString(16).padStart(4, "0")} ${s.name}`, s.id] as const,
);

const PSK_ID = utf8("lifecycle psk");
const PSK = new Uint8Array(32).fill(0x5a);

function sameEpoch(...groups: MlsGroup[]) {
  const first = groups[0]!;
  for (const g of groups) {
    expect(g.epoch).toBe(first.epoch);
    expect(g.epochAuthenticator).toEqual(first.epochAuthenticator);
  }
}

async function expectApplication(to: MlsGroup, message: MLSMessage, text: string, from: number) {
  const r = await to.process(message);
  expect(r.kind).toBe("application");
  if (r.kind !== "application") return;
  expect(new TextDecoder().decode(r.data)).toBe(text);
  expect(r.sender).toBe(from);
}

async function exporterAgrees(...groups: MlsGroup[]) {
  const secrets = await Promise.all(groups.map((g) => g.exportSecret("lifecycle", utf8("c"), 32)));
  for (const s of secrets) expect(s).toEqual(secrets[0]);
}

describe("every cipher suite carries a whole group lifecycle", () => {
  it("covers 7 + 11 suites", () => {
    expect(SUITES).toHaveLength(18);
  });

  it.each(SUITES)("%s", async (_name, id) => {
    const suite: CipherSuite = getCipherSuite(id);
    const psks = new InMemoryPskStore().add(PSK_ID, PSK);
    const [a, b, c] = await Promise.all(["alice", "bob", "carol"].map((n) => newClient(suite, n)));

    // Create; add Bob by Welcome.
    const alice = await MlsGroup.create({ suite, ...a!, psks });
    const kpB = await keyPackageFor(suite, b!);
    const add = await alice.commit({ add: [kpB.keyPackage] });
    await alice.merge(add.staged);
    const bob = await MlsGroup.join({ suite, welcome: add.welcome!, keyPackage: kpB, psks });
    sameEpoch(alice, bob);

    // Bob commits with an UpdatePath (TreeKEM: DeriveKeyPair, HPKE to Alice's leaf).
    const upd = await bob.commit({ path: true });
    await deliverCommit(bob, upd.staged, upd.commit, [alice]);
    sameEpoch(alice, bob);

    // Application messages both ways.
    await expectApplication(bob, await alice.encrypt(utf8("hello bob")), "hello bob", 0);
    await expectApplication(alice, await bob.encrypt(utf8("hello alice")), "hello alice", 1);

    // Carol joins by an external commit (HPKE export to external_pub) that injects the PSK.
    const { group: carol, commit: ext } = await MlsGroup.joinExternal({
      suite,
      groupInfo: await alice.groupInfo(),
      ...c!,
      pskIds: [
        { psktype: PSKType.external, pskId: PSK_ID, pskNonce: suite.randomBytes(suite.kdf.Nh) },
      ],
      psks,
    });
    // The PSK really is in there: without it the commit cannot be processed.
    await expect(MlsGroup.deserialize(bob.serialize()).process(ext)).rejects.toBeInstanceOf(
      ValidationError,
    );
    for (const g of [alice, bob]) {
      const r = await g.process(ext);
      expect(r.kind).toBe("commit");
      if (r.kind === "commit") await g.merge(r.staged);
    }
    sameEpoch(alice, bob, carol);
    expect(alice.members().map((m) => m.leafIndex)).toEqual([0, 1, 2]);

    // A member's commit that injects the external PSK.
    const pskCommit = await alice.commit({ psks: [alice.externalPskId(PSK_ID)], path: true });
    await deliverCommit(alice, pskCommit.staged, pskCommit.commit, [bob, carol]);
    sameEpoch(alice, bob, carol);
    await expectApplication(alice, await carol.encrypt(utf8("hi from carol")), "hi from carol", 2);

    // Serialize Bob, restore him, and go on with the restored state.
    const pending = await carol.encrypt(utf8("while bob was saved"));
    const bob2 = MlsGroup.deserialize(bob.serialize(), { psks });
    await expectApplication(bob2, pending, "while bob was saved", 2);
    const again = await bob2.commit({ path: true });
    await deliverCommit(bob2, again.staged, again.commit, [alice, carol]);
    sameEpoch(alice, bob2, carol);
    await expectApplication(carol, await bob2.encrypt(utf8("bob is back")), "bob is back", 1);

    await exporterAgrees(alice, bob2, carol);
  });
});
