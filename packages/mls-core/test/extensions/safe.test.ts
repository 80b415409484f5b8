/**
 * The Safe Application Interface of draft-ietf-mls-extensions §2: component-separated HPKE and
 * signatures (checked against HPKE and signature primitives with hand-built labels), the
 * forward-secure SafeExportSecret, application PSKs, and Safe AAD.
 */
import { describe, expect, it } from "vitest";
import {
  appDataDictionaryExtension,
  ComponentId,
  CryptoError,
  componentsListEntry,
  concat,
  ExtPSKType,
  encodeSafeAAD,
  expandWithLabel,
  type MLSMessage,
  MlsGroup,
  type PreSharedKeyID,
  type Proposal,
  ProposalType,
  type PskStore,
  safeAADItem,
  safeDecryptWithLabel,
  safeEncryptWithLabel,
  safeSignWithLabel,
  safeVerifyWithLabel,
  signFramedContent,
  stagedSafeExportSecret,
  toHex,
  UsageError,
  utf8,
  ValidationError,
} from "../../src/index.js";
import {
  commitAll,
  craftCommit,
  expectHealthy,
  expectRefused,
  kpFor,
  newClient,
  protect,
  rejects,
  suite,
  welcomeOf,
} from "../validation/support.js";
import { A, B, extCaps, extGroup, leafDictionary } from "./setup.js";

const X = "draft-ietf-mls-extensions";

/** `opaque x<V>` for short values (one-byte length header), written by hand. */
function v(b: Uint8Array): Uint8Array {
  if (b.length >= 64) throw new Error("test helper: short vectors only");
  return concat(new Uint8Array([b.length]), b);
}
const MLS = utf8("MLS 1.0 ");
/** ComponentOperationLabel{"MLS Component", id, label}, by hand. */
const col = (id: number, label: string) =>
  concat(v(utf8("MLS Component")), new Uint8Array([id >> 8, id & 0xff]), v(utf8(label)));

describe("§2.1 SafeEncryptWithLabel / SafeDecryptWithLabel", () => {
  it('is HPKE with info EncryptContext{"MLS 1.0 " + ComponentOperationLabel, context}', async () => {
    const kp = await suite.hpke.kem.generateKeyPair();
    const ctx = utf8("ctx");
    const ct = await safeEncryptWithLabel(suite, kp.publicKey, A, "key", ctx, utf8("secret"));
    const info = concat(v(concat(MLS, col(A, "key"))), v(ctx));
    const pt = await suite.hpke.open(
      kp.privateKey,
      kp.publicKey,
      ct.kemOutput,
      info,
      new Uint8Array(0),
      ct.ciphertext,
    );
    expect(pt).toEqual(utf8("secret"));
    expect(
      await safeDecryptWithLabel(
        suite,
        kp.privateKey,
        kp.publicKey,
        A,
        "key",
        ctx,
        ct.kemOutput,
        ct.ciphertext,
      ),
    ).toEqual(utf8("secret"));
  });

  it("does not decrypt for another component, label or context", async () => {
    const kp = await suite.hpke.kem.generateKeyPair();
    const ct = await safeEncryptWithLabel(
      suite,
      kp.publicKey,
      A,
      "key",
      utf8("ctx"),
      utf8("secret"),
    );
    for (const [id, label, ctx] of [
      [B, "key", "ctx"],
      [A, "other", "ctx"],
      [A, "key", "other"],
    ] as const)
      await rejects(
        safeDecryptWithLabel(
          suite,
          kp.privateKey,
          kp.publicKey,
          id,
          label,
          utf8(ctx),
          ct.kemOutput,
          ct.ciphertext,
        ),
        CryptoError,
      );
  });

  it("is usable with a member's leaf key: another member encrypts to bob's component A", async () => {
    const t = await extGroup();
    const bobLeaf = t.group("alice").members()[1]!.encryptionKey;
    const ct = await safeEncryptWithLabel(
      suite,
      bobLeaf,
      A,
      "msg",
      new Uint8Array(0),
      utf8("for bob"),
    );
    const leafPriv = t.group("bob").currentState.privateKeys.get(2)!.privateKey;
    expect(
      await safeDecryptWithLabel(
        suite,
        leafPriv,
        bobLeaf,
        A,
        "msg",
        new Uint8Array(0),
        ct.kemOutput,
        ct.ciphertext,
      ),
    ).toEqual(utf8("for bob"));
  });
});

describe("§2.2 SafeSignWithLabel / SafeVerifyWithLabel", () => {
  it('signs SignContent{"MLS 1.0 " + ComponentOperationLabel, content}', async () => {
    const key = await suite.signature.generateKeyPair();
    const sig = await safeSignWithLabel(suite, key.privateKey, A, "att", utf8("content"));
    const signContent = concat(v(concat(MLS, col(A, "att"))), v(utf8("content")));
    expect(await suite.signature.verify(key.publicKey, signContent, sig)).toBe(true);
    expect(await safeVerifyWithLabel(suite, key.publicKey, A, "att", utf8("content"), sig)).toBe(
      true,
    );
  });

  it("does not verify for another component, label or content", async () => {
    const key = await suite.signature.generateKeyPair();
    const sig = await safeSignWithLabel(suite, key.privateKey, A, "att", utf8("content"));
    expect(await safeVerifyWithLabel(suite, key.publicKey, B, "att", utf8("content"), sig)).toBe(
      false,
    );
    expect(await safeVerifyWithLabel(suite, key.publicKey, A, "other", utf8("content"), sig)).toBe(
      false,
    );
    expect(await safeVerifyWithLabel(suite, key.publicKey, A, "att", utf8("changed"), sig)).toBe(
      false,
    );
  });
});

describe("§2.3 SafeExportSecret", () => {
  /** tree_node secret of a leaf in a 2^16-leaf tree, walked by hand from the root secret. */
  async function byHand(root: Uint8Array, componentId: number): Promise<Uint8Array> {
    let s = root;
    for (let bit = 15; bit >= 0; bit--)
      s = await expandWithLabel(
        suite,
        s,
        "tree",
        utf8((componentId >> bit) & 1 ? "right" : "left"),
        suite.kdf.Nh,
      );
    return s;
  }

  it("the committer's value from its staged commit equals every receiver's after processing", async () => {
    const t = await extGroup();
    const alice = t.group("alice");
    const res = await alice.commit();
    const mine = await stagedSafeExportSecret(res.staged, A);
    // A second export of the same component from the staged epoch is refused.
    await rejects(stagedSafeExportSecret(res.staged, A), UsageError);
    for (const n of ["bob", "carol"]) {
      const r = await t.group(n).process(res.commit);
      if (r.kind !== "commit") throw new Error("not a commit");
      await t.group(n).merge(r.staged);
      expect(await t.group(n).safeExportSecret(A)).toEqual(mine);
    }
    await alice.merge(res.staged);
    // Consumed in this epoch, for the committer too (the staged epoch is the merged one).
    await rejects(alice.safeExportSecret(A), UsageError);
    for (const n of ["bob", "carol"]) await rejects(t.group(n).safeExportSecret(A), UsageError);
    // Other components are still there, and differ.
    const b = await alice.safeExportSecret(B);
    expect(b).not.toEqual(mine);
    expect(await t.group("bob").safeExportSecret(B)).toEqual(b);
  });

  it("a receiver may export from its staged commit before merging; the merge keeps it consumed", async () => {
    const t = await extGroup();
    const res = await t.group("alice").commit();
    const r = await t.group("bob").process(res.commit);
    if (r.kind !== "commit") throw new Error("not a commit");
    const early = await stagedSafeExportSecret(r.staged, A);
    await t.group("bob").merge(r.staged);
    await rejects(t.group("bob").safeExportSecret(A), UsageError);
    await t.group("alice").merge(res.staged);
    expect(await t.group("alice").safeExportSecret(A)).toEqual(early);
  });

  it("is the leaf of a 2^16-leaf tree over application_export_secret, which is gone from the epoch secrets", async () => {
    const t = await extGroup();
    const s = t.group("bob").currentState;
    expect(s.secrets.applicationExportSecret.every((x) => x === 0)).toBe(true);
    const nodes = s.exporterTree.exportNodes();
    expect(nodes.map((n) => n.node)).toEqual([0xffff]);
    const root = nodes[0]!.secret.slice();
    for (const id of [A, 0, 0xffff])
      expect(await t.group("bob").safeExportSecret(id)).toEqual(await byHand(root, id));
    // Nothing left in the tree can derive an exported secret again: no remaining node is an
    // ancestor of (or equal to) an exported leaf.
    const exported = [A, 0, 0xffff].map((id) => id * 2);
    expect(s.exporterTree.exportNodes().length).toBeGreaterThan(16);
    for (const { node } of s.exporterTree.exportNodes())
      for (const leaf of exported) {
        const level = Math.log2(((node ^ (node + 1)) + 1) / 2) | 0;
        const span = 1 << level;
        expect(leaf >= node - (span - 1) && leaf <= node + (span - 1)).toBe(false);
      }
  });

  it("differs per epoch, and from the RFC 9420 exporter", async () => {
    const t = await extGroup();
    const e1 = await t.group("bob").safeExportSecret(A);
    await commitAll(t, "carol");
    const e2 = await t.group("bob").safeExportSecret(A);
    expect(e2).not.toEqual(e1);
    expect(await t.group("bob").exportSecret("x", new Uint8Array(0), 32)).not.toEqual(e2);
  });

  it("stays consumed across serialisation", async () => {
    const t = await extGroup();
    await t.group("bob").safeExportSecret(A);
    const restored = MlsGroup.deserialize(t.group("bob").serialize(), {
      config: t.group("bob").config,
    });
    await rejects(restored.safeExportSecret(A), UsageError);
    expect(await restored.safeExportSecret(B)).toEqual(await t.group("carol").safeExportSecret(B));
  });
});

describe("§2.4 application PSKs", () => {
  const appPsk = (componentId: number, id: string): PreSharedKeyID => ({
    psktype: ExtPSKType.application,
    componentId,
    pskId: utf8(id),
    pskNonce: suite.randomBytes(suite.kdf.Nh),
  });
  const store = (entries: [number, string, number][]): PskStore => ({
    external: () => undefined,
    application: (c, id) => {
      const e = entries.find(([cc, ii]) => cc === c && toHex(utf8(ii)) === toHex(id));
      return e === undefined ? undefined : new Uint8Array(32).fill(e[2]);
    },
  });

  it("is injected by a commit; every member holding it agrees on the epoch", async () => {
    const psks = store([[A, "k", 7]]);
    const t = await extGroup({ psks });
    const staged = await commitAll(t, "alice", { psks: [appPsk(A, "k")] });
    expect(staged.get("bob")!.psks.map((p) => p.psktype)).toEqual([3]);
    for (const g of t.groups())
      expect(g.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("is refused by a member that does not hold it, or holds that psk_id only for another component", async () => {
    const psks = store([[A, "k", 7]]);
    const t = await extGroup({ psks });
    const other = store([[B, "k", 7]]);
    const c = await craftCommit(
      t.group("alice"),
      [{ value: { proposalType: ProposalType.psk, psk: appPsk(A, "k") } }],
      {
        psks,
      },
    );
    expect(c.genuine).toBe(true);
    // Bob's copy of the group, restored with a store that names the PSK under component B.
    const bobB = MlsGroup.deserialize(t.group("bob").serialize(), {
      config: t.group("bob").config,
      psks: other,
    });
    await expectRefused(bobB, c.message, ValidationError, "RFC9420 §12.4.2");
    const bobNone = MlsGroup.deserialize(t.group("bob").serialize(), {
      config: t.group("bob").config,
    });
    await expectRefused(bobNone, c.message, ValidationError, "RFC9420 §12.4.2");
    expect((await t.group("bob").process(c.message)).kind).toBe("commit");
  });

  it("separates components: the same psk_id and value under another component gives another epoch", async () => {
    const psks = store([
      [A, "k", 7],
      [B, "k", 7],
    ]);
    const t = await extGroup({ psks });
    const n = suite.randomBytes(suite.kdf.Nh);
    const withA = await t.group("alice").commit({ psks: [{ ...appPsk(A, "k"), pskNonce: n }] });
    const withB = await t.group("alice").commit({ psks: [{ ...appPsk(B, "k"), pskNonce: n }] });
    expect(withA.staged.next.secrets.epochAuthenticator).not.toEqual(
      withB.staged.next.secrets.epochAuthenticator,
    );
  });

  it("reaches a new member through the Welcome, which needs the PSK", async () => {
    const psks = store([[A, "k", 7]]);
    const t = await extGroup({ psks });
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
    });
    const res = await t.group("alice").commit({ add: [kp.keyPackage], psks: [appPsk(A, "k")] });
    await t.group("alice").merge(res.staged);
    await rejects(
      MlsGroup.join({ suite, welcome: welcomeOf(res.welcome), keyPackage: kp }),
      ValidationError,
      "RFC9420 §12.4.2",
    );
    const dave = await MlsGroup.join({
      suite,
      welcome: welcomeOf(res.welcome),
      keyPackage: kp,
      psks,
    });
    expect(dave.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("may be part of an external commit", async () => {
    const psks = store([[A, "k", 7]]);
    const t = await extGroup({ psks });
    const dave = await newClient(suite, "dave");
    const { group, commit } = await MlsGroup.joinExternal({
      suite,
      groupInfo: await t.group("alice").groupInfo(),
      ...dave,
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
      pskIds: [appPsk(A, "k")],
      psks,
    });
    for (const g of t.groups()) {
      const r = await g.process(commit);
      if (r.kind === "commit") await g.merge(r.staged);
      expect(g.epochAuthenticator).toEqual(group.epochAuthenticator);
    }
  });

  it("follows the RFC 9420 PSK proposal rules: a psk_nonce of the wrong length is invalid", async () => {
    const psks = store([[A, "k", 7]]);
    const t = await extGroup({ psks });
    const bad: Proposal = {
      proposalType: ProposalType.psk,
      psk: { ...appPsk(A, "k"), pskNonce: new Uint8Array(3) },
    };
    const c = await craftCommit(t.group("alice"), [{ value: bad }], { psks });
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, "RFC9420 §12.1.4");
  });
});

describe("§2.8 Safe AAD", () => {
  const safeGroup = () =>
    extGroup({
      groupContextExtensions: [
        appDataDictionaryExtension([componentsListEntry(ComponentId.safe_aad, [])]),
      ],
    });

  it("frames authenticated_data as SafeAAD; receivers read each component's item", async () => {
    const t = await safeGroup();
    const aad = encodeSafeAAD([
      { componentId: B, data: utf8("b") },
      { componentId: A, data: utf8("a") },
    ]);
    const m = await t.group("alice").encrypt(utf8("hi"), aad);
    const r = await t.group("bob").process(m);
    if (r.kind !== "application") throw new Error("not application data");
    expect(safeAADItem(r.authenticatedData, A)).toEqual(utf8("a"));
    expect(safeAADItem(r.authenticatedData, B)).toEqual(utf8("b"));
    // Nothing to send is the empty SafeAAD, not an empty field.
    const none = await t.group("alice").encrypt(utf8("x"));
    const r2 = await t.group("carol").process(none);
    expect(r2.kind === "application" && r2.authenticatedData).toEqual(new Uint8Array([0]));
  });

  it("refuses messages whose authenticated_data is not a SafeAAD, and leaves the ratchet untouched", async () => {
    const t = await safeGroup();
    const alice = t.group("alice");
    const forger = MlsGroup.deserialize(alice.serialize(), { config: alice.config });
    // The forger's own API refuses raw AAD in this group...
    await rejects(forger.encrypt(utf8("x"), utf8("raw")), UsageError);
    // ...so frame it by hand: same key, same generation as alice's next message.
    const s = forger.currentState;
    const content = {
      groupId: forger.groupId,
      epoch: forger.epoch,
      sender: { senderType: 1 as const, leafIndex: 0 },
      authenticatedData: utf8("raw"),
      contentType: 1 as const,
      applicationData: utf8("x"),
    };
    const signature = await signFramedContent(
      suite,
      s.signaturePrivateKey,
      2,
      content,
      s.groupContextBytes,
    );
    const raw = await protect(forger, { wireFormat: 2, content, auth: { signature } });
    const genuine = await alice.encrypt(utf8("genuine"));
    await expectRefused(t.group("bob"), raw, ValidationError, `${X} §2.8`);
    const r = await t.group("bob").process(genuine);
    expect(r.kind === "application" && r.data).toEqual(utf8("genuine"));
    // Unsorted items are not a SafeAAD either.
    const unsorted = concat(new Uint8Array([6]), new Uint8Array([0x80, 0x02, 0, 0x80, 0x01, 0]));
    const forger2 = MlsGroup.deserialize(alice.serialize(), { config: alice.config });
    const s2 = forger2.currentState;
    const c2 = { ...content, authenticatedData: unsorted };
    const raw2 = await protect(forger2, {
      wireFormat: 2,
      content: c2,
      auth: {
        signature: await signFramedContent(
          suite,
          s2.signaturePrivateKey,
          2,
          c2,
          s2.groupContextBytes,
        ),
      },
    });
    await expectRefused(t.group("carol"), raw2, ValidationError, `${X} §2.8`);
  });

  it("applies to handshake messages too: a commit with raw authenticated_data is refused", async () => {
    const t = await safeGroup();
    const c = await craftCommit(t.group("alice"), [], { authenticatedData: utf8("raw") });
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, `${X} §2.8`);
    const ok = await craftCommit(t.group("alice"), [], { authenticatedData: encodeSafeAAD([]) });
    expect((await t.group("bob").process(ok.message)).kind).toBe("commit");
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("an external commit in a Safe AAD group carries the empty SafeAAD by default", async () => {
    const t = await safeGroup();
    const dave = await newClient(suite, "dave");
    const { commit } = await MlsGroup.joinExternal({
      suite,
      groupInfo: await t.group("alice").groupInfo(),
      ...dave,
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
    });
    const pm = (commit as MLSMessage & { wireFormat: 1 }).publicMessage;
    expect(pm.content.authenticatedData).toEqual(new Uint8Array([0]));
    expect((await t.group("bob").process(commit)).kind).toBe("commit");
    await rejects(
      MlsGroup.joinExternal({
        suite,
        groupInfo: await t.group("alice").groupInfo(),
        ...(await newClient(suite, "erin")),
        capabilities: extCaps(),
        leafExtensions: [leafDictionary([A, B])],
        authenticatedData: utf8("raw"),
      }),
      ValidationError,
      `${X} §2.8`,
    );
  });

  it("does not constrain groups without safe_aad (control)", async () => {
    const t = await extGroup();
    const m = await t.group("alice").encrypt(utf8("hi"), utf8("raw aad"));
    const r = await t.group("bob").process(m);
    expect(r.kind === "application" && r.authenticatedData).toEqual(utf8("raw aad"));
  });
});
