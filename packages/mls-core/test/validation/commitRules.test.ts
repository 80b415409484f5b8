/**
 * RFC 9420 §12 rules that packages/mls-core/VALIDATION.md lists and that had no test of their
 * own: how Update, Remove and GroupContextExtensions proposals are applied, the committer's
 * side of proposal-list validation, the Welcome's PSK order and coverage, the ratchet_tree
 * extension's trailing blanks, and three negative cases (a Welcome path secret, an UpdatePath
 * secret and an ExternalInit that do not match what they must match). Every negative test
 * checks the typed error and that the receiver's state did not change.
 */
import { describe, expect, it } from "vitest";
import {
  type AuthenticatedContent,
  CryptoError,
  createCommit,
  type Extension,
  ExtensionType,
  encodeGroupContext,
  encryptWithLabel,
  externalSendersCodec,
  type FramedContent,
  InMemoryPskStore,
  leafToNode,
  type MLSMessage,
  MlsGroup,
  makeExtension,
  NO_PSKS,
  type PreSharedKeyID,
  type Proposal,
  ProposalType,
  PSKType,
  ratchetTreeFromExtensions,
  requiredCapabilitiesCodec,
  resolvePsks,
  SenderType,
  signFramedContent,
  toLeafIndex,
  UsageError,
  utf8,
  ValidationError,
  WireFormat,
} from "../../src/index.js";
import {
  buildGroup,
  commitAll,
  expectHealthy,
  expectRefused,
  groupSecretsFor,
  keyPackageWithLeaf,
  kpFor,
  newClient,
  protect,
  rejects,
  rewriteWelcome,
  snapshot,
  suite,
  welcomeOf,
} from "./support.js";

const names4 = ["alice", "bob", "carol", "dave"];

function externalPskId(id: string): PreSharedKeyID {
  return { psktype: PSKType.external, pskId: utf8(id), pskNonce: suite.randomBytes(suite.kdf.Nh) };
}

// ====================================================================== §12.1 applying proposals

describe("§12.1 applying individual proposals", () => {
  it("§12.1.2: applying an Update replaces the sender's leaf and blanks its direct path", async () => {
    const t = await buildGroup({ names: names4 });
    const bob = t.group("bob");
    // alice's add commit set the parent of leaves 0 and 1 (node 1): bob's direct path.
    expect(bob.ratchetTree.isBlank(1 as never)).toBe(false);
    const { message } = await bob.proposeUpdate({ publicMessage: true });
    const proposed = (message as MLSMessage & { wireFormat: 1 }).publicMessage.content;
    if (proposed.contentType !== 2 || proposed.proposal.proposalType !== ProposalType.update)
      throw new Error("expected an Update proposal");
    const newLeaf = proposed.proposal.leafNode;
    for (const n of ["alice", "carol", "dave"]) await t.group(n).process(message);
    // carol (leaf 2) commits it; her UpdatePath sets nodes 5 and 3, not bob's node 1.
    await commitAll(t, "carol");
    for (const g of t.groups()) {
      expect(g.ratchetTree.leaf(toLeafIndex(1))!.encryptionKey).toEqual(newLeaf.encryptionKey);
      expect(g.ratchetTree.isBlank(1 as never)).toBe(true);
    }
    await expectHealthy(t.group("bob"), [t.group("alice"), t.group("carol"), t.group("dave")]);
  });

  it("§12.1.3: applying a Remove blanks the leaf and its direct path and truncates the tree", async () => {
    const t = await buildGroup({ names: names4 });
    expect(t.group("alice").ratchetTree.leafCount).toBe(4);
    // carol (leaf 2) removes bob (leaf 1): leaf 1 and node 1 (bob's direct path below the root)
    // are blanked; carol's own path (nodes 5, 3) is then set by her UpdatePath.
    await commitAll(t, "carol", { remove: [1] });
    for (const n of ["alice", "carol", "dave"]) {
      const tree = t.group(n).ratchetTree;
      expect(tree.leaf(toLeafIndex(1))).toBeUndefined();
      expect(tree.isBlank(leafToNode(toLeafIndex(1)))).toBe(true);
      expect(tree.isBlank(1 as never)).toBe(true);
      expect(tree.leafCount).toBe(4);
    }
    // Removing the two rightmost members leaves an all-blank right subtree: it is truncated.
    await commitAll(t, "alice", { remove: [2, 3] });
    expect(t.group("alice").ratchetTree.leafCount).toBe(1);
    expect(t.group("alice").ratchetTree.nodeCount).toBe(1);
  });

  it("§12.1.4: psk_nonce is a fresh random KDF.Nh-byte value", async () => {
    const t = await buildGroup({ names: ["alice"] });
    const a = t.group("alice").externalPskId(utf8("psk"));
    const b = t.group("alice").externalPskId(utf8("psk"));
    const r = t.group("alice").resumptionPskId(0n);
    for (const id of [a, b, r]) expect(id.pskNonce.length).toBe(suite.kdf.Nh);
    expect(a.pskNonce).not.toEqual(b.pskNonce);
    expect(r.pskNonce).not.toEqual(a.pskNonce);
    expect(a.pskNonce.some((x) => x !== 0)).toBe(true);
  });

  it("§12.1.7: a GroupContextExtensions replaces the extension list wholesale", async () => {
    const ds = await suite.signature.generateKeyPair();
    const senders = makeExtension(ExtensionType.external_senders, externalSendersCodec, [
      { signatureKey: ds.publicKey, credential: { credentialType: 1, identity: utf8("ds") } },
    ]);
    const t = await buildGroup({ names: ["alice", "bob"], groupContextExtensions: [senders] });
    const types = (e: readonly Extension[]) => e.map((x) => x.extensionType);
    expect(types(t.group("bob").groupContext.extensions)).toEqual([ExtensionType.external_senders]);
    const required = makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
      extensionTypes: [],
      proposalTypes: [],
      credentialTypes: [],
    });
    await commitAll(t, "alice", { groupContextExtensions: [required] });
    for (const g of t.groups())
      expect(types(g.groupContext.extensions)).toEqual([ExtensionType.required_capabilities]);
  });
});

// ====================================================================== §12.2 committer side

describe("§12.2 the committer validates its own proposal list", () => {
  it("§12.2: the committer refuses to create a commit over an invalid proposal list", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol"] });
    const alice = t.group("alice");
    const before = await snapshot(alice);
    const cases: Proposal[][] = [
      [{ proposalType: ProposalType.remove, removed: 0 }],
      [
        { proposalType: ProposalType.remove, removed: 1 },
        { proposalType: ProposalType.remove, removed: 1 },
      ],
      [
        { proposalType: ProposalType.group_context_extensions, extensions: [] },
        { proposalType: ProposalType.group_context_extensions, extensions: [] },
      ],
      [{ proposalType: ProposalType.external_init, kemOutput: suite.randomBytes(32) }],
    ];
    for (const proposals of cases)
      await rejects(alice.commit({ proposals, includePending: false }), ValidationError, /§12\.2/);
    expect(await snapshot(alice)).toEqual(before);
    await expectHealthy(alice, [t.group("bob"), t.group("carol")]);
  });

  it("§7.3: the committer refuses to send an Add whose KeyPackage lifetime has ended", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    const erin = await newClient(suite, "erin");
    const base = await kpFor(erin);
    const expired = await keyPackageWithLeaf(base.keyPackage, erin.signatureKeyPair, {
      lifetime: { notBefore: 0n, notAfter: 1n },
    } as never);
    await rejects(t.group("alice").commit({ add: [expired] }), ValidationError, "RFC9420 §7.3");
    await expectHealthy(t.group("alice"), [t.group("bob")]);
  });

  it("§7.3: the committer checks lifetimes of what it sends even when received lifetimes are not checked", async () => {
    const t = await buildGroup({
      names: ["alice", "bob"],
      config: { checkReceivedLifetimes: false },
    });
    const erin = await newClient(suite, "erin");
    const base = await kpFor(erin);
    const expired = await keyPackageWithLeaf(base.keyPackage, erin.signatureKeyPair, {
      lifetime: { notBefore: 0n, notAfter: 1n },
    } as never);
    await rejects(t.group("alice").commit({ add: [expired] }), ValidationError, "RFC9420 §7.3");
    await expectHealthy(t.group("alice"), [t.group("bob")]);
  });
});

// ====================================================================== §12.4 commits

describe("§12.4 commits and what follows them", () => {
  it("§12.4: a member with pending proposals must commit before sending application data", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    const { message } = await t.group("bob").proposeUpdate();
    await t.group("alice").process(message);
    await rejects(t.group("alice").encrypt(utf8("too early")), UsageError);
    await rejects(t.group("bob").encrypt(utf8("too early")), UsageError);
    await commitAll(t, "alice");
    const m = await t.group("alice").encrypt(utf8("now"));
    const r = await t.group("bob").process(m);
    expect(r.kind === "application" && r.data).toEqual(utf8("now"));
  });

  it("§12.4.2: after a commit with a ReInit the group can no longer send", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    await commitAll(t, "alice", {
      proposals: [
        {
          proposalType: ProposalType.reinit,
          groupId: utf8("next group"),
          version: 1,
          cipherSuite: suite.id,
          extensions: [],
        },
      ],
    });
    for (const g of t.groups()) {
      expect(g.isActive).toBe(false);
      await rejects(g.encrypt(utf8("after reinit")), UsageError);
      await rejects(g.commit(), UsageError);
    }
  });

  it("§12.4.1: the Welcome lists the PSKs in the order of the commit's PreSharedKey proposals", async () => {
    const store = new InMemoryPskStore()
      .add(utf8("first"), suite.randomBytes(32))
      .add(utf8("second"), suite.randomBytes(32));
    const t = await buildGroup({ names: ["alice", "bob"], psks: store });
    for (const order of [
      ["first", "second"],
      ["second", "first"],
    ]) {
      const erin = await kpFor(await newClient(suite, "erin"));
      const ids = order.map(externalPskId);
      const res = await t.group("alice").commit({ add: [erin.keyPackage], psks: ids });
      expect(res.staged.psks.map((p) => (p as { pskId: Uint8Array }).pskId)).toEqual(
        order.map(utf8),
      );
      const gs = await groupSecretsFor(welcomeOf(res.welcome), erin);
      expect(gs.psks).toEqual(ids);
      // and the joiner, holding both PSKs, joins the epoch every member reaches
      const joined = await MlsGroup.join({
        suite,
        welcome: res.welcome!,
        keyPackage: erin,
        psks: store,
      });
      const r = await t.group("bob").process(res.commit);
      if (r.kind !== "commit") throw new Error("expected a commit");
      await t.group("bob").merge(r.staged);
      await t.group("alice").merge(res.staged);
      expect(joined.epochAuthenticator).toEqual(t.group("bob").epochAuthenticator);
      await commitAll(t, "alice", { remove: [joined.currentState.myLeaf] });
    }
  });

  it("§12.4.1: the committer adds an UpdatePath whenever a proposal requires one", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol"] });
    const pathOf = (m: MLSMessage) => {
      if (m.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
      const c = m.publicMessage.content;
      if (c.contentType !== 3) throw new Error("not a commit");
      return c.commit.path;
    };
    const alice = t.group("alice");
    // path: false is only a preference: a Remove (path required) still gets one
    const removing = await alice.commit({ remove: [2], path: false, publicMessage: true });
    expect(pathOf(removing.commit)).toBeDefined();
    // an empty commit always carries one
    const empty = await alice.commit({ path: false, publicMessage: true });
    expect(pathOf(empty.commit)).toBeDefined();
    // an Add alone does not need one, and path: false omits it
    const erin = await kpFor(await newClient(suite, "erin"));
    const adding = await alice.commit({ add: [erin.keyPackage], path: false, publicMessage: true });
    expect(pathOf(adding.commit)).toBeUndefined();
  });

  it("§12.4.1: one Welcome covers every member the commit adds", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    const kps = await Promise.all(
      ["erin", "frank", "grace"].map(async (n) => kpFor(await newClient(suite, n))),
    );
    const res = await t.group("alice").commit({ add: kps.map((k) => k.keyPackage) });
    await t.group("alice").merge(res.staged);
    const welcome = welcomeOf(res.welcome);
    expect(welcome.secrets.length).toBe(3);
    for (const kp of kps) {
      const g = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kp });
      expect(g.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
    }
  });
});

// ====================================================================== §12.4.3 joining

describe("§12.4.3.1 / §12.4.3.3 joining", () => {
  it("§12.4.3.1: a Welcome that names none of this client's KeyPackages is refused", async () => {
    const t = await buildGroup({ names: ["alice"] });
    const erin = await kpFor(await newClient(suite, "erin"));
    const other = await kpFor(await newClient(suite, "erin"));
    const res = await t.group("alice").commit({ add: [erin.keyPackage] });
    await rejects(MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: other }), UsageError);
    // the intended recipient still joins
    await t.group("alice").merge(res.staged);
    const g = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: erin });
    expect(g.epoch).toBe(t.group("alice").epoch);
  });

  it("§12.4.3.1: without a ratchet_tree extension the joiner must be given the tree", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    const erin = await kpFor(await newClient(suite, "erin"));
    const res = await t
      .group("alice")
      .commit({ add: [erin.keyPackage], ratchetTreeInWelcome: false });
    await t.group("alice").merge(res.staged);
    await rejects(MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: erin }), UsageError);
    const g = await MlsGroup.join({
      suite,
      welcome: res.welcome!,
      keyPackage: erin,
      ratchetTree: t.group("alice").ratchetTree,
    });
    expect(g.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("§12.4.3.1: a Welcome whose PSK the joiner does not hold is refused", async () => {
    const store = new InMemoryPskStore().add(utf8("shared"), suite.randomBytes(32));
    const t = await buildGroup({ names: ["alice"], psks: store });
    const erin = await kpFor(await newClient(suite, "erin"));
    const res = await t.group("alice").commit({
      add: [erin.keyPackage],
      psks: [externalPskId("shared")],
    });
    await rejects(
      MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: erin }),
      ValidationError,
      /§12\.4/,
    );
    await rejects(
      MlsGroup.join({
        suite,
        welcome: res.welcome!,
        keyPackage: erin,
        psks: new InMemoryPskStore().add(utf8("other"), suite.randomBytes(32)),
      }),
      ValidationError,
    );
    const g = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: erin, psks: store });
    await t.group("alice").merge(res.staged);
    expect(g.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("§12.4.3.1: a path secret whose derived keys are not the tree's is refused", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    const erin = await kpFor(await newClient(suite, "erin"));
    const res = await t.group("alice").commit({ add: [erin.keyPackage] });
    const welcome = welcomeOf(res.welcome);
    const genuine = await groupSecretsFor(welcome, erin);
    expect(genuine.pathSecret).toBeDefined();
    const forged = await rewriteWelcome(welcome, erin, t.client("alice").signatureKeyPair, {
      groupSecrets: (gs) => ({ ...gs, pathSecret: suite.randomBytes(suite.kdf.Nh) }),
    });
    const err = await rejects(
      MlsGroup.join({
        suite,
        welcome: { version: 1, wireFormat: WireFormat.mls_welcome, welcome: forged },
        keyPackage: erin,
      }),
      CryptoError,
    );
    expect(err.message).toMatch(/path secret does not match/);
    // the genuine Welcome joins
    await t.group("alice").merge(res.staged);
    const g = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: erin });
    expect(g.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  // The epoch-1 rule of a reinit/branch Welcome (§12.4.3.1) is shown, with the old group the
  // joiner now needs, in test/group/resumption.test.ts.

  it("§12.4.3.3: the ratchet_tree extension omits the blank nodes after the last non-blank one", async () => {
    const t = await buildGroup({ names: names4 });
    // dave (leaf 3, node 6) leaves: nodes 5 and 6 become blank, the tree keeps 4 leaves.
    await commitAll(t, "alice", { remove: [3] });
    const alice = t.group("alice");
    expect(alice.ratchetTree.nodeCount).toBe(7);
    expect(alice.ratchetTree.isBlank(6 as never)).toBe(true);
    const gi = await alice.groupInfo();
    const nodes = alice.ratchetTree.toNodes();
    expect(nodes.length).toBeLessThan(7);
    expect(nodes[nodes.length - 1]).toBeDefined();
    // the extension the GroupInfo carries decodes to the same (full-width) tree
    const tree = ratchetTreeFromExtensions(gi.extensions)!;
    expect(tree.nodeCount).toBe(7);
    expect(await tree.treeHash(suite)).toEqual(await alice.ratchetTree.treeHash(suite));
  });
});

// ====================================================================== §7.5 / §12.4.3.2 secrets

describe("secrets that must match (§7.5, §12.4.3.2)", () => {
  it("§7.5: an UpdatePath whose decrypted path secret does not derive its public keys is refused", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol"] });
    const alice = t.group("alice");
    const bob = t.group("bob");
    const state = alice.currentState;
    const created = await createCommit(
      state,
      {
        config: alice.config,
        resolvePsks: (ids) => resolvePsks(ids, NO_PSKS, () => undefined),
      },
      {
        proposals: [],
        forcePath: true,
        wireFormat: WireFormat.mls_public_message,
        authenticatedData: new Uint8Array(0),
        ratchetTreeInWelcome: true,
        groupInfo: false,
      },
    );
    const content = created.authContent.content;
    if (content.contentType !== 3 || content.commit.path === undefined)
      throw new Error("expected a commit with a path");
    const path = content.commit.path;
    // bob (leaf 1) decrypts the first path node's secret, encrypted to his leaf key under the
    // provisional GroupContext: re-encrypt a random secret there, everything else unchanged.
    const next = created.staged.next.groupContext;
    const provisional = encodeGroupContext({
      ...state.groupContext,
      epoch: state.groupContext.epoch + 1n,
      treeHash: next.treeHash,
      extensions: next.extensions,
    });
    const bobKey = bob.ratchetTree.leaf(toLeafIndex(1))!.encryptionKey;
    const ct = await encryptWithLabel(
      suite,
      bobKey,
      "UpdatePathNode",
      provisional,
      suite.randomBytes(suite.kdf.Nh),
    );
    const first = path.nodes[0]!;
    expect(first.encryptedPathSecret.length).toBe(1);
    const forgedContent: FramedContent = {
      ...content,
      commit: {
        ...content.commit,
        path: {
          ...path,
          nodes: [{ ...first, encryptedPathSecret: [ct] }, ...path.nodes.slice(1)],
        },
      },
    };
    const signature = await signFramedContent(
      suite,
      state.signaturePrivateKey,
      WireFormat.mls_public_message,
      forgedContent,
      state.groupContextBytes,
    );
    const forged: AuthenticatedContent = {
      wireFormat: WireFormat.mls_public_message,
      content: forgedContent,
      auth: { ...created.authContent.auth, signature },
    };
    const err = await expectRefused(bob, await protect(alice, forged), CryptoError);
    expect(err.message).toMatch(/derived path key does not match/);
    await expectHealthy(alice, [bob, t.group("carol")]);
  });

  it("§12.4.3.2: an external commit whose ExternalInit is not the one its epoch was built on is refused", async () => {
    const t = await buildGroup({ names: ["alice", "bob"] });
    const gi = await t.group("alice").groupInfo();
    const joiner = await newClient(suite, "erin");
    const join = (c: typeof joiner) =>
      MlsGroup.joinExternal({
        suite,
        groupInfo: gi,
        credential: c.credential,
        signatureKeyPair: c.signatureKeyPair,
        config: { handshakeAsPublicMessage: true },
      });
    const one = await join(joiner);
    const two = await join(await newClient(suite, "frank"));
    const pub = (m: MLSMessage) => {
      if (m.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
      return m.publicMessage;
    };
    const c1 = pub(one.commit);
    const c2 = pub(two.commit);
    expect(c1.content.sender.senderType).toBe(SenderType.new_member_commit);
    const kemOf = (c: FramedContent) => {
      if (c.contentType !== 3) throw new Error("not a commit");
      const p = c.commit.proposals.find(
        (x) => x.type === 1 && x.proposal.proposalType === ProposalType.external_init,
      );
      if (p?.type !== 1 || p.proposal.proposalType !== ProposalType.external_init)
        throw new Error("no ExternalInit");
      return p.proposal.kemOutput;
    };
    const otherKem = kemOf(c2.content);
    expect(otherKem).not.toEqual(kemOf(c1.content));
    if (c1.content.contentType !== 3) throw new Error("not a commit");
    const content: FramedContent = {
      ...c1.content,
      commit: {
        ...c1.content.commit,
        proposals: c1.content.commit.proposals.map((x) =>
          x.type === 1 && x.proposal.proposalType === ProposalType.external_init
            ? { type: 1 as const, proposal: { ...x.proposal, kemOutput: otherKem } }
            : x,
        ),
      },
    };
    const signature = await signFramedContent(
      suite,
      joiner.signatureKeyPair.privateKey,
      WireFormat.mls_public_message,
      content,
      t.group("alice").currentState.groupContextBytes,
    );
    const forged: MLSMessage = {
      version: 1,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: { content, auth: { ...c1.auth, signature } },
    };
    for (const g of t.groups()) {
      const err = await expectRefused(g, forged, CryptoError);
      expect(err.message).toMatch(/confirmation tag/);
    }
    // the joiner's genuine commit is accepted
    for (const g of t.groups()) {
      const r = await g.process(one.commit);
      if (r.kind !== "commit") throw new Error("expected a commit");
      await g.merge(r.staged);
    }
    expect(one.group.epochAuthenticator).toEqual(t.group("bob").epochAuthenticator);
  });
});
