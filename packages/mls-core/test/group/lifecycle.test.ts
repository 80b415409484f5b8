import { describe, expect, it } from "vitest";
import {
  CryptoError,
  getCipherSuite,
  InMemoryPskStore,
  type MLSMessage,
  MlsGroup,
  UsageError,
  utf8,
  ValidationError,
} from "../../src/index.js";
import { deliverCommit, keyPackageFor, newClient } from "../helpers.js";

const suite = getCipherSuite(1);

async function threeMembers() {
  const [a, b, c] = await Promise.all(["alice", "bob", "carol"].map((n) => newClient(suite, n)));
  const alice = await MlsGroup.create({
    suite,
    credential: a!.credential,
    signatureKeyPair: a!.signatureKeyPair,
  });
  const kpB = await keyPackageFor(suite, b!);
  const kpC = await keyPackageFor(suite, c!);
  const res = await alice.commit({ add: [kpB.keyPackage, kpC.keyPackage] });
  await alice.merge(res.staged);
  const bob = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kpB });
  const carol = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kpC });
  return { alice, bob, carol, clients: { a: a!, b: b!, c: c! } };
}

function sameEpoch(...groups: MlsGroup[]) {
  const first = groups[0]!;
  for (const g of groups) {
    expect(g.epoch).toBe(first.epoch);
    expect(g.epochAuthenticator).toEqual(first.epochAuthenticator);
  }
}

describe("group lifecycle (suite 1)", () => {
  it("creates, adds by Welcome and agrees on the epoch", async () => {
    const { alice, bob, carol } = await threeMembers();
    sameEpoch(alice, bob, carol);
    expect(alice.epoch).toBe(1n);
    expect(bob.members().map((m) => m.leafIndex)).toEqual([0, 1, 2]);
    const ex = await Promise.all(
      [alice, bob, carol].map((g) => g.exportSecret("test", utf8("ctx"), 32)),
    );
    expect(ex[1]).toEqual(ex[0]);
    expect(ex[2]).toEqual(ex[0]);
  });

  it("exchanges application messages in both directions", async () => {
    const { alice, bob, carol } = await threeMembers();
    const m1 = await bob.encrypt(utf8("hello from bob"));
    for (const g of [alice, carol]) {
      const r = await g.process(m1);
      expect(r.kind).toBe("application");
      if (r.kind === "application") {
        expect(new TextDecoder().decode(r.data)).toBe("hello from bob");
        expect(r.sender).toBe(1);
      }
    }
    const m2 = await alice.encrypt(utf8("hi bob"), utf8("aad"));
    const r2 = await bob.process(m2);
    expect(r2.kind === "application" && new TextDecoder().decode(r2.data)).toBe("hi bob");
  });

  it("commits proposals by reference, updates and removes", async () => {
    const { alice, bob, carol } = await threeMembers();
    const upd = await bob.proposeUpdate();
    await alice.process(upd.message);
    await carol.process(upd.message);
    const res = await alice.commit();
    await deliverCommit(alice, res.staged, res.commit, [bob, carol]);
    sameEpoch(alice, bob, carol);

    const rem = await carol.commit({ remove: [1] });
    const r = await bob.process(rem.commit);
    expect(r.kind === "commit" && r.staged.selfRemoved).toBe(true);
    if (r.kind === "commit") await bob.merge(r.staged);
    expect(bob.isActive).toBe(false);
    const ra = await alice.process(rem.commit);
    if (ra.kind === "commit") await alice.merge(ra.staged);
    await carol.merge(rem.staged);
    sameEpoch(alice, carol);
    expect(alice.members().map((m) => m.leafIndex)).toEqual([0, 2]);
    // The removed member cannot read the new epoch.
    const m = await alice.encrypt(utf8("bob is gone"));
    await expect(bob.process(m)).rejects.toBeInstanceOf(UsageError);
  });

  it("lets a new member join by external commit", async () => {
    const { alice, bob, carol } = await threeMembers();
    const d = await newClient(suite, "dave");
    const gi = await alice.groupInfo();
    const { group: dave, commit } = await MlsGroup.joinExternal({
      suite,
      groupInfo: gi,
      credential: d.credential,
      signatureKeyPair: d.signatureKeyPair,
    });
    for (const g of [alice, bob, carol]) {
      const r = await g.process(commit);
      expect(r.kind).toBe("commit");
      if (r.kind === "commit") await g.merge(r.staged);
    }
    sameEpoch(alice, bob, carol, dave);
    const hello = await dave.encrypt(utf8("hi all"));
    const r = await carol.process(hello);
    expect(r.kind === "application" && r.sender).toBe(3);
  });

  it("injects an external PSK", async () => {
    const psks = new InMemoryPskStore().add(utf8("psk-1"), new Uint8Array(32).fill(7));
    const [a, b] = await Promise.all([newClient(suite, "a"), newClient(suite, "b")]);
    const alice = await MlsGroup.create({ suite, ...a, psks });
    const kpB = await keyPackageFor(suite, b);
    const add = await alice.commit({
      add: [kpB.keyPackage],
      psks: [alice.externalPskId(utf8("psk-1"))],
    });
    await alice.merge(add.staged);
    // Without the PSK the Welcome cannot be processed.
    await expect(
      MlsGroup.join({ suite, welcome: add.welcome!, keyPackage: kpB }),
    ).rejects.toBeInstanceOf(ValidationError);
    const bob = await MlsGroup.join({ suite, welcome: add.welcome!, keyPackage: kpB, psks });
    sameEpoch(alice, bob);
    const res = await bob.commit({ psks: [bob.resumptionPskId(1n)] });
    await deliverCommit(bob, res.staged, res.commit, [alice]);
    sameEpoch(alice, bob);
  });

  it("restores a serialised member and continues", async () => {
    const { alice, bob, carol } = await threeMembers();
    const m = await alice.encrypt(utf8("before save"));
    const saved = bob.serialize();
    const bob2 = MlsGroup.deserialize(saved);
    const r = await bob2.process(m);
    expect(r.kind === "application" && new TextDecoder().decode(r.data)).toBe("before save");
    const res = await bob2.commit();
    await deliverCommit(bob2, res.staged, res.commit, [alice, carol]);
    sameEpoch(alice, bob2, carol);
  });

  it("rejects tampering, replays and wrong epochs without changing state", async () => {
    const { alice, bob } = await threeMembers();
    const m = await alice.encrypt(utf8("once"));
    const raw = m as MLSMessage & { wireFormat: 2 };
    const ct = raw.privateMessage.ciphertext.slice();
    ct[ct.length - 1]! ^= 1;
    const tampered = { ...raw, privateMessage: { ...raw.privateMessage, ciphertext: ct } };
    await expect(bob.process(tampered)).rejects.toBeInstanceOf(CryptoError);
    // The untampered message still decrypts: the failure changed nothing.
    expect((await bob.process(m)).kind).toBe("application");
    // A replay is refused: its key was deleted when it was used.
    await expect(bob.process(m)).rejects.toBeInstanceOf(ValidationError);
    const wrongEpoch = { ...raw, privateMessage: { ...raw.privateMessage, epoch: 7n } };
    await expect(bob.process(wrongEpoch)).rejects.toBeInstanceOf(ValidationError);
  });

  it("keeps the current epoch when a staged commit is discarded", async () => {
    const { alice, bob } = await threeMembers();
    const before = alice.epochAuthenticator;
    await alice.commit(); // created, never merged
    expect(alice.epochAuthenticator).toEqual(before);
    const winner = await bob.commit();
    const r = await alice.process(winner.commit);
    if (r.kind === "commit") await alice.merge(r.staged);
    await bob.merge(winner.staged);
    sameEpoch(alice, bob);
  });
});
