import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CodecError,
  decodeKeyPackageBundle,
  encodeKeyPackageBundle,
  getCipherSuite,
  InMemoryMlsStorage,
  joinAndStore,
  keyPackageForWelcome,
  loadGroup,
  MlsGroup,
  pskStoreOf,
  saveGroup,
  toHex,
  UsageError,
  utf8,
  ValidationError,
  WireFormat,
} from "../../src/index.js";

const rejects = async (p: Promise<unknown>, cls: abstract new (...a: never[]) => Error) =>
  expect(p).rejects.toBeInstanceOf(cls);

import { keyPackageFor, newClient } from "../helpers.js";

/** The storage interface: group states, KeyPackage bundles and PSKs outlive the objects. */
describe("MlsStorage", () => {
  const suite = getCipherSuite(1);

  it("a group and a joiner restored from storage go on: messages, a PSK commit", async () => {
    const aliceStore = new InMemoryMlsStorage();
    const bobStore = new InMemoryMlsStorage();
    const pskId = utf8("shared psk");
    await aliceStore.setPsk(pskId, new Uint8Array(32).fill(3));
    await bobStore.setPsk(pskId, new Uint8Array(32).fill(3));
    const [a, b] = await Promise.all([newClient(suite, "alice"), newClient(suite, "bob")]);

    // Bob publishes a KeyPackage and keeps its bundle in his storage.
    const kp = await keyPackageFor(suite, b);
    await bobStore.setKeyPackage(kp);
    expect((await bobStore.keyPackageRefs()).map(toHex)).toEqual([toHex(kp.ref)]);

    const alice = await MlsGroup.create({ suite, ...a, psks: pskStoreOf(aliceStore) });
    const add = await alice.commit({ add: [kp.keyPackage] });
    await alice.merge(add.staged);
    await saveGroup(aliceStore, alice);

    // Bob finds the bundle the Welcome is for, joins, and deletes the used bundle.
    const welcome = add.welcome!;
    if (welcome.wireFormat !== WireFormat.mls_welcome) throw new Error("not a Welcome");
    const bundle = await keyPackageForWelcome(bobStore, welcome.welcome);
    expect(bundle).toBeDefined();
    const bob = await MlsGroup.join({
      suite,
      welcome,
      keyPackage: bundle!,
      psks: pskStoreOf(bobStore),
    });
    await bobStore.deleteKeyPackage(bundle!.ref);
    await saveGroup(bobStore, bob);
    expect(await bobStore.keyPackageRefs()).toEqual([]);
    expect(await keyPackageForWelcome(bobStore, welcome.welcome)).toBeUndefined();

    // Both processes restart.
    const alice2 = (await loadGroup(aliceStore, alice.groupId))!;
    const bob2 = (await loadGroup(bobStore, bob.groupId))!;
    expect(alice2.epochAuthenticator).toEqual(bob2.epochAuthenticator);
    expect((await bobStore.groupIds()).map(toHex)).toEqual([toHex(bob.groupId)]);

    const m = await alice2.encrypt(utf8("after the restart"));
    await saveGroup(aliceStore, alice2);
    const r = await bob2.process(m);
    expect(r.kind === "application" && new TextDecoder().decode(r.data)).toBe("after the restart");

    // A commit injecting the external PSK resolves it from each side's storage.
    const c = await alice2.commit({ psks: [alice2.externalPskId(pskId)], path: true });
    const pr = await bob2.process(c.commit);
    if (pr.kind !== "commit") throw new Error("expected a commit");
    await bob2.merge(pr.staged);
    await alice2.merge(c.staged);
    expect(alice2.epochAuthenticator).toEqual(bob2.epochAuthenticator);

    await bobStore.deleteGroupState(bob.groupId);
    expect(await loadGroup(bobStore, bob.groupId)).toBeUndefined();
  });

  it("joinAndStore: joins with the stored bundle, stores the group, deletes the bundle; refuses a second group_id (§12.4.3.1)", async () => {
    const bobStore = new InMemoryMlsStorage();
    const [a, b] = await Promise.all([newClient(suite, "alice"), newClient(suite, "bob")]);
    const kp1 = await keyPackageFor(suite, b);
    const kp2 = await keyPackageFor(suite, b);
    await bobStore.setKeyPackage(kp1);
    await bobStore.setKeyPackage(kp2);
    const alice = await MlsGroup.create({ suite, ...a });
    const add = await alice.commit({ add: [kp1.keyPackage] });
    await alice.merge(add.staged);
    const bob = await joinAndStore(bobStore, { suite, welcome: add.welcome! });
    expect(bob.epochAuthenticator).toEqual(alice.epochAuthenticator);
    expect((await bobStore.groupIds()).map(toHex)).toEqual([toHex(alice.groupId)]);
    expect((await bobStore.keyPackageRefs()).map(toHex)).toEqual([toHex(kp2.ref)]);

    // A second Welcome for a group with the same group_id (here: the same group, re-added
    // with his other KeyPackage after a removal) must not replace the stored one.
    const rm = await alice.commit({ remove: [1] });
    await alice.merge(rm.staged);
    const again = await alice.commit({ add: [kp2.keyPackage] });
    await alice.merge(again.staged);
    const stored = await bobStore.getGroupState(alice.groupId);
    await rejects(joinAndStore(bobStore, { suite, welcome: again.welcome! }), ValidationError);
    expect(await bobStore.getGroupState(alice.groupId)).toEqual(stored);
    expect((await bobStore.keyPackageRefs()).map(toHex)).toEqual([toHex(kp2.ref)]);
    // With no stored bundle for it, a Welcome is a usage error.
    await rejects(
      joinAndStore(new InMemoryMlsStorage(), { suite, welcome: again.welcome! }),
      UsageError,
    );
  });

  it("stores copies: changing a returned value or a saved array does not change the store", async () => {
    const s = new InMemoryMlsStorage();
    const v = new Uint8Array([1, 2, 3]);
    await s.setPsk(utf8("id"), v);
    v[0] = 9;
    const got = (await s.getPsk(utf8("id")))!;
    expect([...got]).toEqual([1, 2, 3]);
    got[1] = 9;
    expect([...(await s.getPsk(utf8("id")))!]).toEqual([1, 2, 3]);
  });

  it("KeyPackage bundle encoding round-trips; other bytes are CodecErrors", async () => {
    const kp = await keyPackageFor(suite, await newClient(suite, "carol"));
    const bytes = encodeKeyPackageBundle(kp);
    const back = decodeKeyPackageBundle(bytes);
    expect(encodeKeyPackageBundle(back)).toEqual(bytes);
    expect(back.privateKeys).toEqual(kp.privateKeys);
    expect(() => decodeKeyPackageBundle(bytes.subarray(0, bytes.length - 1))).toThrow(CodecError);
    expect(() => decodeKeyPackageBundle(new Uint8Array([...bytes, 0]))).toThrow(CodecError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          decodeKeyPackageBundle(b);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
    );
  });
});
