/**
 * RFC 9420 §12.4.3.1 "Verify the integrity of the ratchet tree" (on joining by Welcome or by
 * external commit), §7.3 leaf validation inside a tree, and §7.9 parent hashes (on joining and
 * on receiving a commit). The trees are real ones from a group, changed in one place; the
 * GroupInfo carrying them is re-signed by its signer with the matching tree hash, so that the
 * change under test is the only thing wrong.
 */
import { describe, expect, it } from "vitest";
import {
  type Capabilities,
  ContentType,
  CredentialType,
  CryptoError,
  computeParentHash,
  ExtensionType,
  externalPubExtension,
  externalPubFromExtensions,
  type GroupContext,
  type GroupInfo,
  type KeyPackageBundle,
  type KeyPair,
  MlsGroup,
  makeExtension,
  type ParentNode,
  PSKType,
  type RatchetTree,
  ResumptionPSKUsage,
  ratchetTreeExtension,
  ratchetTreeFromExtensions,
  requiredCapabilitiesCodec,
  signGroupInfo,
  toLeafIndex,
  toNodeIndex,
  type UpdatePath,
  utf8,
  ValidationError,
} from "../../src/index.js";
import {
  buildGroup,
  craftCommit,
  expectHealthy,
  expectRefused,
  kpFor,
  leafCore,
  newClient,
  rejects,
  rewriteWelcome,
  signLeaf,
  suite,
  type TestClient,
  type TestGroup,
  welcomeOf,
} from "./support.js";

const FAR_FUTURE = 2n ** 40n;

/**
 * Alice's view of a group whose tree has 8 leaves: 0 alice (commit leaf), 1–3 and 7 added with
 * a path, 4 (x) and 5 (y) added later without one, so unmerged at the root; leaf 6 blank; parent
 * nodes 1, 3 and 7 set by alice's last path.
 */
async function eightLeaves() {
  const alice = await newClient(suite, "alice");
  const g = await MlsGroup.create({
    suite,
    credential: alice.credential,
    signatureKeyPair: alice.signatureKeyPair,
  });
  const others = await Promise.all(
    ["b", "c", "d", "e", "f", "g", "h"].map((n) => newClient(suite, n)),
  );
  let r = await g.commit({
    add: (await Promise.all(others.map((c) => kpFor(c)))).map((k) => k.keyPackage),
  });
  await g.merge(r.staged);
  r = await g.commit({ remove: [4, 5, 6] });
  await g.merge(r.staged);
  const [x, y] = await Promise.all([newClient(suite, "x"), newClient(suite, "y")]);
  const [kx, ky] = await Promise.all([kpFor(x), kpFor(y)]);
  r = await g.commit({ add: [kx.keyPackage, ky.keyPackage], path: false });
  await g.merge(r.staged);
  // The shape the tests rely on.
  const t = g.ratchetTree;
  expect(t.leafCount).toBe(8);
  expect(t.leaf(toLeafIndex(6))).toBeUndefined();
  expect(t.parentNode(toNodeIndex(7))?.unmergedLeaves).toEqual([4, 5]);
  for (const n of [1, 3]) expect(t.parentNode(toNodeIndex(n))?.unmergedLeaves).toEqual([]);
  return { g, alice, x, y, kx, ky, others };
}

interface GiEdit {
  tree?: (t: RatchetTree) => void | Promise<void>;
  groupContext?: (gc: GroupContext) => GroupContext;
  /** Keep the GroupContext's tree_hash although the tree changed. */
  staleTreeHash?: boolean;
  signer?: number;
  signerKey?: KeyPair;
}

/** The signed GroupInfo of `g` (with ratchet_tree and external_pub), edited and re-signed. */
async function editedGroupInfo(g: MlsGroup, key: KeyPair, e: GiEdit): Promise<GroupInfo> {
  const gi = await g.groupInfo();
  const tree = ratchetTreeFromExtensions(gi.extensions)!;
  await e.tree?.(tree);
  let gc = gi.groupContext;
  if (!e.staleTreeHash) gc = { ...gc, treeHash: await tree.treeHash(suite) };
  if (e.groupContext !== undefined) gc = e.groupContext(gc);
  return signGroupInfo(suite, (e.signerKey ?? key).privateKey, {
    groupContext: gc,
    extensions: [
      ratchetTreeExtension(tree.toNodes()),
      externalPubExtension(externalPubFromExtensions(gi.extensions)!),
    ],
    confirmationTag: gi.confirmationTag,
    signer: e.signer ?? gi.signer,
  });
}

async function joinExternally(
  gi: GroupInfo,
  config: Parameters<typeof MlsGroup.create>[0]["config"] = {},
) {
  const zed = await newClient(suite, "zed");
  return MlsGroup.joinExternal({
    suite,
    groupInfo: gi,
    credential: zed.credential,
    signatureKeyPair: zed.signatureKeyPair,
    config,
  });
}

function setParent(t: RatchetTree, n: number, change: Partial<ParentNode>) {
  const p = t.parentNode(toNodeIndex(n))!;
  t.setParent(toNodeIndex(n), { ...p, ...change });
}

async function resignLeaf(
  t: RatchetTree,
  leafIndex: number,
  owner: KeyPair,
  change: Record<string, unknown>,
  groupId: Uint8Array,
) {
  const old = t.leaf(toLeafIndex(leafIndex))!;
  t.setLeaf(
    toLeafIndex(leafIndex),
    await signLeaf(owner.privateKey, { ...leafCore(old), ...change } as never, {
      groupId,
      leafIndex,
    }),
  );
}

// ====================================================================== external join

describe("§12.4.3.1 / §12.4.3.2 tree validation when joining by external commit", () => {
  it("accepts the re-signed, unchanged GroupInfo (control for every test below)", async () => {
    const { g, alice } = await eightLeaves();
    const { commit } = await joinExternally(await editedGroupInfo(g, alice.signatureKeyPair, {}));
    const r = await g.process(commit);
    expect(r.kind === "commit" && r.staged.committerLeaf).toBe(6);
  });

  it("§7.9.2: a parent node's parent_hash was changed", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) => setParent(t, 3, { parentHash: suite.randomBytes(32) }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.9.2");
  });

  it("§7.9.2: a parent node's encryption key was replaced", async () => {
    const { g, alice } = await eightLeaves();
    const fresh = (await suite.hpke.kem.generateKeyPair()).publicKey;
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) => setParent(t, 1, { encryptionKey: fresh }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.9.2");
  });

  it("§7.9.2: the committer's leaf carries a wrong parent_hash (re-signed by its owner)", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) =>
        resignLeaf(t, 0, alice.signatureKeyPair, { parentHash: suite.randomBytes(32) }, g.groupId),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.9.2");
  });

  it("§7.9.2: a parent node nobody's path explains (a set parent over a blank subtree)", async () => {
    const { g, alice } = await eightLeaves();
    const fresh = (await suite.hpke.kem.generateKeyPair()).publicKey;
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) =>
        t.setParent(toNodeIndex(11), {
          encryptionKey: fresh,
          parentHash: new Uint8Array(0),
          unmergedLeaves: [4, 5],
        }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.9.2");
  });

  it("§7.3: a leaf with an invalid signature", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) => {
        const leaf = t.leaf(toLeafIndex(5))!;
        const signature = leaf.signature.slice();
        signature[3]! ^= 0x40;
        t.setLeaf(toLeafIndex(5), { ...leaf, signature });
      },
    });
    await rejects(joinExternally(gi), CryptoError);
  });

  it("§7.3: two leaves with the same signature key", async () => {
    const { g, alice, x } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: async (t) => {
        const y = t.leaf(toLeafIndex(5))!;
        t.setLeaf(
          toLeafIndex(5),
          await signLeaf(x.signatureKeyPair.privateKey, {
            ...leafCore(y),
            signatureKey: x.signatureKeyPair.publicKey,
          }),
        );
      },
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.3: a leaf whose encryption key is also a parent node's", async () => {
    const { g, alice, y } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: async (t) => {
        const leaf = t.leaf(toLeafIndex(5))!;
        t.setLeaf(
          toLeafIndex(5),
          await signLeaf(y.signatureKeyPair.privateKey, {
            ...leafCore(leaf),
            encryptionKey: t.parentNode(toNodeIndex(3))!.encryptionKey,
          }),
        );
      },
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.3: two leaves with the same encryption key", async () => {
    const { g, alice, y } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: async (t) => {
        const leaf = t.leaf(toLeafIndex(5))!;
        t.setLeaf(
          toLeafIndex(5),
          await signLeaf(y.signatureKeyPair.privateKey, {
            ...leafCore(leaf),
            encryptionKey: t.leaf(toLeafIndex(4))!.encryptionKey,
          }),
        );
      },
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.3: a key_package leaf whose lifetime has expired, or has not begun", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {});
    await rejects(joinExternally(gi, { now: () => FAR_FUTURE }), ValidationError, "RFC9420 §7.3");
    await rejects(joinExternally(gi, { now: () => 1000n }), ValidationError, "RFC9420 §7.3");
    // Lifetimes of received leaves are only RECOMMENDED checks (§7.3): a client may skip them.
    const ok = await joinExternally(gi, { now: () => FAR_FUTURE, checkReceivedLifetimes: false });
    expect(ok.group.epoch).toBe(g.epoch + 1n);
  });

  it("§7.3: a leaf whose credential type another member does not support", async () => {
    const { g, alice, x, y } = await eightLeaves();
    const basicOnly: Partial<Capabilities> = { credentials: [CredentialType.basic] };
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: async (t) => {
        const lx = t.leaf(toLeafIndex(4))!;
        await resignAt(t, 4, x.signatureKeyPair, {
          capabilities: { ...lx.capabilities, ...basicOnly },
        });
        await resignAt(t, 5, y.signatureKeyPair, {
          credential: { credentialType: CredentialType.x509, certificates: [utf8("cert")] },
        });
      },
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.3: a leaf whose capabilities omit its own credential type", async () => {
    const { g, alice, y } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: async (t) => {
        const ly = t.leaf(toLeafIndex(5))!;
        await resignAt(t, 5, y.signatureKeyPair, {
          capabilities: { ...ly.capabilities, credentials: [CredentialType.x509] },
        });
      },
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.3: a leaf extension its capabilities do not list", async () => {
    const { g, alice, y } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) =>
        resignAt(t, 5, y.signatureKeyPair, {
          extensions: [{ extensionType: 0xff10, extensionData: utf8("x") }],
        }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.3: leaves that lack a capability the GroupContext requires", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      groupContext: (gc) => ({
        ...gc,
        extensions: [
          makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
            extensionTypes: [0xff11],
            proposalTypes: [],
            credentialTypes: [],
          }),
        ],
      }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.3");
  });

  it("§7.1: unmerged_leaves that are not sorted", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) => setParent(t, 7, { unmergedLeaves: [5, 4] }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §7.1");
  });

  describe("unmerged_leaves in a tree whose parent hashes are valid by construction", () => {
    /**
     * Four leaves (alice, b, c, d) and three parent nodes set by hand: node 1 by a path from
     * leaf 0, nodes 5 and 3 by a path from leaf 2, with the given unmerged lists; every parent
     * hash is computed from the final nodes, so only the unmerged lists can be wrong.
     */
    async function handMade(unmerged1: number[], unmerged3: number[]) {
      const clients = await Promise.all(["alice", "b", "c", "d"].map((n) => newClient(suite, n)));
      const [alice, , carol] = clients as [TestClient, TestClient, TestClient, TestClient];
      const g = await MlsGroup.create({
        suite,
        credential: alice.credential,
        signatureKeyPair: alice.signatureKeyPair,
      });
      const kps = await Promise.all(clients.slice(1).map((c) => kpFor(c)));
      const r = await g.commit({ add: kps.map((k) => k.keyPackage), path: false });
      await g.merge(r.staged);
      const key = async () => (await suite.hpke.kem.generateKeyPair()).publicKey;
      const [k1, k3, k5] = [await key(), await key(), await key()];
      const none = new Uint8Array(0);
      // Bottom-up: each parent hash covers the final content of the sibling subtree.
      const edit = async (t: RatchetTree) => {
        t.setParent(toNodeIndex(1), {
          encryptionKey: k1,
          parentHash: none,
          unmergedLeaves: unmerged1,
        });
        t.setParent(toNodeIndex(3), {
          encryptionKey: k3,
          parentHash: none,
          unmergedLeaves: unmerged3,
        });
        const phAlice = await computeParentHash(
          suite,
          k1,
          none,
          await t.treeHashWithout(suite, toNodeIndex(2), unmerged1),
        );
        const commitLeaf = { leafNodeSource: 3, lifetime: undefined };
        await resignLeaf(
          t,
          0,
          alice.signatureKeyPair,
          { ...commitLeaf, parentHash: phAlice },
          g.groupId,
        );
        const ph5 = await computeParentHash(
          suite,
          k3,
          none,
          await t.treeHashWithout(suite, toNodeIndex(1), unmerged3),
        );
        t.setParent(toNodeIndex(5), { encryptionKey: k5, parentHash: ph5, unmergedLeaves: [] });
        const phCarol = await computeParentHash(
          suite,
          k5,
          ph5,
          await t.treeHash(suite, toNodeIndex(6)),
        );
        await resignLeaf(
          t,
          2,
          carol.signatureKeyPair,
          { ...commitLeaf, parentHash: phCarol },
          g.groupId,
        );
      };
      return editedGroupInfo(g, alice.signatureKeyPair, { tree: edit });
    }

    it("accepts consistent unmerged lists (control)", async () => {
      const { group } = await joinExternally(await handMade([1], [1]));
      expect(group.members().length).toBe(5);
    });

    it("§12.4.3.1: an unmerged leaf missing from an intermediate non-blank node", async () => {
      await rejects(joinExternally(await handMade([], [1])), ValidationError, "RFC9420 §12.4.3.1");
    });

    it("§12.4.3.1: an unmerged leaf that is not below its node", async () => {
      await rejects(joinExternally(await handMade([2], [])), ValidationError, "RFC9420 §12.4.3.1");
    });
  });

  it("§12.4.3.1: an unmerged leaf that is blank", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      tree: (t) => setParent(t, 7, { unmergedLeaves: [4, 5, 6] }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §12.4.3.1");
  });

  it("§12.4.3.2: a tree that does not match the GroupInfo's tree_hash", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {
      staleTreeHash: true,
      tree: (t) => setParent(t, 7, { unmergedLeaves: [4] }),
    });
    await rejects(joinExternally(gi), ValidationError, "RFC9420 §12.4.3.2");
  });

  it("§12.4.3.1: a GroupInfo signed by someone else, by a blank leaf, by a leaf outside", async () => {
    const { g, alice, x } = await eightLeaves();
    await rejects(
      joinExternally(
        await editedGroupInfo(g, alice.signatureKeyPair, { signerKey: x.signatureKeyPair }),
      ),
      CryptoError,
    );
    await rejects(
      joinExternally(await editedGroupInfo(g, alice.signatureKeyPair, { signer: 6 })),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
    await rejects(
      joinExternally(await editedGroupInfo(g, alice.signatureKeyPair, { signer: 8 })),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
  });

  it("§12.4.3.3: a ratchet_tree whose last node is blank, or with a node of the wrong type", async () => {
    const { g, alice } = await eightLeaves();
    const gi = await editedGroupInfo(g, alice.signatureKeyPair, {});
    const nodes = ratchetTreeFromExtensions(gi.extensions)!.toNodes();
    const trailing = await signGroupInfo(suite, alice.signatureKeyPair.privateKey, {
      ...gi,
      extensions: [ratchetTreeExtension([...nodes, undefined]), gi.extensions[1]!],
    });
    await rejects(joinExternally(trailing), ValidationError, "RFC9420 §12.4.3.3");
    const swapped = [...nodes];
    swapped[1] = nodes[0];
    const wrongType = await signGroupInfo(suite, alice.signatureKeyPair.privateKey, {
      ...gi,
      extensions: [ratchetTreeExtension(swapped), gi.extensions[1]!],
    });
    await rejects(joinExternally(wrongType), ValidationError, "RFC9420 §12.4.3.3");
  });

  it("accepts leaves of every leaf_node_source in a tree (key_package, update, commit)", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol"] });
    const upd = await t.group("bob").proposeUpdate();
    await t.group("alice").process(upd.message);
    const res = await t.group("alice").commit({ path: false });
    await t.group("alice").merge(res.staged);
    const sources = [0, 1, 2].map(
      (i) => t.group("alice").ratchetTree.leaf(toLeafIndex(i))!.leafNodeSource,
    );
    expect(sources).toEqual([3, 2, 1]);
    const { group } = await joinExternally(await t.group("alice").groupInfo());
    expect(group.members().length).toBe(4);
  });

  async function resignAt(
    t: RatchetTree,
    leaf: number,
    key: KeyPair,
    change: Record<string, unknown>,
  ) {
    const old = t.leaf(toLeafIndex(leaf))!;
    t.setLeaf(
      toLeafIndex(leaf),
      await signLeaf(key.privateKey, { ...leafCore(old), ...change } as never),
    );
  }
});

// ====================================================================== Welcome

describe("§12.4.3.1 validation when joining by Welcome", () => {
  /** alice, bob (both joined) and a Welcome for dave, added without a path (unmerged). */
  async function welcomeForDave() {
    const t = await buildGroup({ names: ["alice", "bob"] });
    await expectHealthy(t.group("bob"), [t.group("alice")]); // bob's path sets the parent node
    const dave: TestClient = await newClient(suite, "dave");
    const kp: KeyPackageBundle = await kpFor(dave);
    const res = await t.group("alice").commit({ add: [kp.keyPackage], path: false });
    await t.group("alice").merge(res.staged);
    return {
      t,
      dave,
      kp,
      welcome: welcomeOf(res.welcome),
      signer: t.client("alice").signatureKeyPair,
    };
  }

  function editTree(gi: GroupInfo, f: (t: RatchetTree) => void | Promise<void>) {
    return async (): Promise<GroupInfo> => {
      const tree = ratchetTreeFromExtensions(gi.extensions)!;
      await f(tree);
      return {
        ...gi,
        groupContext: { ...gi.groupContext, treeHash: await tree.treeHash(suite) },
        extensions: gi.extensions.map((e) =>
          e.extensionType === ExtensionType.ratchet_tree ? ratchetTreeExtension(tree.toNodes()) : e,
        ),
      };
    };
  }

  it("joins with the re-sealed, unchanged Welcome (control)", async () => {
    const { t, kp, welcome, signer } = await welcomeForDave();
    const w = await rewriteWelcome(welcome, kp, signer, {});
    const dave = await MlsGroup.join({ suite, welcome: w, keyPackage: kp });
    expect(dave.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("§7.9.2: a tampered parent hash in the Welcome's tree", async () => {
    const { kp, welcome, signer } = await welcomeForDave();
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupInfo: (gi) =>
        editTree(gi, (tr) => setParent(tr, 1, { parentHash: suite.randomBytes(32) }))(),
    });
    await rejects(
      MlsGroup.join({ suite, welcome: w, keyPackage: kp }),
      ValidationError,
      "RFC9420 §7.9.2",
    );
  });

  it("§12.4.3.1: a tree that does not match the GroupInfo's tree_hash", async () => {
    const { kp, welcome, signer } = await welcomeForDave();
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupInfo: (gi) => ({
        ...gi,
        groupContext: { ...gi.groupContext, treeHash: suite.randomBytes(32) },
      }),
    });
    await rejects(
      MlsGroup.join({ suite, welcome: w, keyPackage: kp }),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
  });

  it("§12.4.3.1: the tree has no leaf identical to the joiner's KeyPackage leaf", async () => {
    const { kp, welcome, signer } = await welcomeForDave();
    const erin = await newClient(suite, "erin");
    const other = (await kpFor(erin)).keyPackage.leafNode;
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupInfo: (gi) => editTree(gi, (tr) => tr.setLeaf(toLeafIndex(2), other))(),
    });
    await rejects(
      MlsGroup.join({ suite, welcome: w, keyPackage: kp }),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
  });

  it("§12.4.3.1: more than one reinit/branch resumption PSK", async () => {
    const { kp, welcome, signer, t } = await welcomeForDave();
    const psk = (usage: number) => ({
      psktype: PSKType.resumption,
      usage,
      pskGroupId: t.group("alice").groupId,
      pskEpoch: 1n,
      pskNonce: suite.randomBytes(32),
    });
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupSecrets: (gs) => ({
        ...gs,
        psks: [psk(ResumptionPSKUsage.reinit), psk(ResumptionPSKUsage.branch)] as never,
      }),
    });
    await rejects(
      MlsGroup.join({ suite, welcome: w, keyPackage: kp }),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
  });

  it("§12.4.3.1: a Welcome, or a GroupContext, for another cipher suite", async () => {
    const { kp, welcome, signer } = await welcomeForDave();
    await rejects(
      MlsGroup.join({ suite, welcome: { ...welcome, cipherSuite: 3 }, keyPackage: kp }),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupInfo: (gi) => ({ ...gi, groupContext: { ...gi.groupContext, cipherSuite: 3 } }),
    });
    await rejects(
      MlsGroup.join({ suite, welcome: w, keyPackage: kp }),
      ValidationError,
      "RFC9420 §12.4.3.1",
    );
  });

  it("§13.4: a GroupContext extension the joiner does not support", async () => {
    const { kp, welcome, signer } = await welcomeForDave();
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupInfo: (gi) => ({
        ...gi,
        groupContext: {
          ...gi.groupContext,
          extensions: [{ extensionType: 0xff20, extensionData: utf8("x") }],
        },
      }),
    });
    await rejects(
      MlsGroup.join({ suite, welcome: w, keyPackage: kp }),
      ValidationError,
      "RFC9420 §13.4",
    );
  });

  it("CryptoError: a GroupInfo not signed by its signer, and a wrong confirmation tag", async () => {
    const { kp, welcome, signer } = await welcomeForDave();
    const mallory = await suite.signature.generateKeyPair();
    await rejects(
      MlsGroup.join({
        suite,
        welcome: await rewriteWelcome(welcome, kp, mallory, {}),
        keyPackage: kp,
      }),
      CryptoError,
    );
    const w = await rewriteWelcome(welcome, kp, signer, {
      groupInfo: (gi) => ({ ...gi, confirmationTag: suite.randomBytes(32) }),
    });
    await rejects(MlsGroup.join({ suite, welcome: w, keyPackage: kp }), CryptoError);
  });
});

// ====================================================================== §7.9 on commits

describe("§7.9.2 / §7.6 UpdatePath checks when processing a commit", () => {
  async function mutatePath(
    f: (path: UpdatePath, t: TestGroup) => UpdatePath | Promise<UpdatePath>,
  ) {
    const t = await buildGroup({ names: ["alice", "bob", "carol", "dave"] });
    const c = await craftCommit(t.group("alice"), [], {
      mutate: async (content) => {
        if (content.contentType !== ContentType.commit || content.commit.path === undefined)
          throw new Error("no path");
        const path = await f(content.commit.path, t);
        return { ...content, commit: { ...content.commit, path } };
      },
    });
    return { t, msg: c.message };
  }

  it("§7.9.2: the committer's leaf signs a wrong parent_hash", async () => {
    const { t, msg } = await mutatePath(async (path, t) => ({
      ...path,
      leafNode: await signLeaf(
        t.client("alice").signatureKeyPair.privateKey,
        { ...leafCore(path.leafNode), parentHash: suite.randomBytes(32) } as never,
        { groupId: t.group("alice").groupId, leafIndex: 0 },
      ),
    }));
    for (const n of ["bob", "carol", "dave"])
      await expectRefused(t.group(n), msg, ValidationError, "RFC9420 §7.9.2");
    await expectHealthy(
      t.group("alice"),
      ["bob", "carol", "dave"].map((n) => t.group(n)),
    );
  });

  it("§7.9.2: a path node key changed (the leaf's parent_hash no longer matches)", async () => {
    const fresh = (await suite.hpke.kem.generateKeyPair()).publicKey;
    const { t, msg } = await mutatePath((path) => ({
      ...path,
      nodes: path.nodes.map((n, i) =>
        i === path.nodes.length - 1 ? { ...n, encryptionKey: fresh } : n,
      ),
    }));
    for (const n of ["bob", "carol", "dave"])
      await expectRefused(t.group(n), msg, ValidationError, "RFC9420 §7.9.2");
  });

  it("§7.6: an UpdatePath with one node too few", async () => {
    const { t, msg } = await mutatePath((path) => ({ ...path, nodes: path.nodes.slice(1) }));
    await expectRefused(t.group("bob"), msg, ValidationError, "RFC9420 §7.6");
  });

  it("§7.6: an UpdatePath node with the wrong number of encrypted path secrets", async () => {
    const { t, msg } = await mutatePath((path) => ({
      ...path,
      nodes: path.nodes.map((n) => ({
        ...n,
        encryptedPathSecret: [...n.encryptedPathSecret, n.encryptedPathSecret[0]!],
      })),
    }));
    await expectRefused(t.group("dave"), msg, ValidationError, "RFC9420 §7.6");
  });
});
