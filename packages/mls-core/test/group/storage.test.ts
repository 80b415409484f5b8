import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CodecError,
  decodeKeyPackageBundle,
  encodeKeyPackageBundle,
  getCipherSuite,
  InMemoryMlsStorage,
  keyPackageForWelcome,
  loadGroup,
  MlsGroup,
  pskStoreOf,
  saveGroup,
  toHex,
  utf8,
  WireFormat,
} from "../../src/index.js";
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
