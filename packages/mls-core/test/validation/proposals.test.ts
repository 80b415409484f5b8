/**
 * RFC 9420 §12.1–§12.4: one negative test per proposal and proposal-list rule. Each invalid
 * commit is framed, signed and protected like a real one (where the committer can build the
 * whole epoch, its confirmation tag is right too: `genuine`), then every receiver must refuse it
 * with the typed error naming the rule, keep its state exactly as it was, and go on to process
 * the next valid commit.
 */
import { describe, expect, it, vi } from "vitest";
import {
  ContentType,
  type Credential,
  CryptoError,
  type Extension,
  ExtensionType,
  ExtProposalType,
  externalSendersCodec,
  type FramedContent,
  type IdentityProvider,
  InMemoryPskStore,
  type KeyPair,
  type MLSMessage,
  MlsGroup,
  makeExtension,
  type Proposal,
  ProposalType,
  ProtocolVersion,
  PSKType,
  protectPublicMessage,
  ResumptionPSKUsage,
  requiredCapabilitiesCodec,
  SenderType,
  signFramedContent,
  toLeafIndex,
  utf8,
  ValidationError,
  WireFormat,
  wireCode,
} from "../../src/index.js";
import {
  buildGroup,
  bytesEq,
  capabilitiesWith,
  craftCommit,
  expectHealthy,
  expectRefused,
  externalProposal,
  keyPackageWithLeaf,
  kpFor,
  leafCore,
  newClient,
  pendingOf,
  rejects,
  resignKeyPackage,
  signLeaf,
  suite,
  type TestGroup,
} from "./support.js";

const bypass = vi.hoisted(() => ({ on: false }));
vi.mock("../../src/group/proposals.js", async (importOriginal) => {
  const m = await importOriginal<typeof import("../../src/group/proposals.js")>();
  return {
    ...m,
    validateProposalList: (...a: Parameters<typeof m.validateProposalList>) =>
      bypass.on ? undefined : m.validateProposalList(...a),
  };
});

/** Two basic credentials with the same identity name the same client. */
const sameIdentity: IdentityProvider = {
  validateCredential: () => true,
  isSameClient: (a: Credential, b: Credential) =>
    a.credentialType === 1 && b.credentialType === 1 && bytesEq(a.identity, b.identity),
};

const APP = 0x8001;
const config = {
  identity: sameIdentity,
  handshakeAsPublicMessage: true,
  components: new Map([[APP, { ephemeral: () => true }]]),
};

function trio(extra: Partial<Parameters<typeof buildGroup>[0]> = {}): Promise<TestGroup> {
  return buildGroup({ names: ["alice", "bob", "carol"], config, ...extra });
}

const remove = (removed: number): Proposal => ({ proposalType: ProposalType.remove, removed });
const asMember = (leafIndex: number) => ({ senderType: SenderType.member, leafIndex }) as const;
const nonce = () => suite.randomBytes(suite.kdf.Nh);
const externalPsk = (id: string, n = nonce()): Proposal => ({
  proposalType: ProposalType.psk,
  psk: { psktype: PSKType.external, pskId: utf8(id), pskNonce: n },
});

/** Every receiver refuses the message with `rule` and nothing changes; then the group works. */
async function refusedByAll(
  t: TestGroup,
  committer: string,
  msg: MLSMessage,
  rule: string | undefined,
  cls: abstract new (...a: never[]) => Error = ValidationError,
) {
  const receivers = t.members.filter((m) => m.name !== committer).map((m) => m.group);
  for (const g of receivers) await expectRefused(g, msg, cls, rule);
  await expectHealthy(t.group(committer), receivers);
}

// ====================================================================== §12.1 single proposals

describe("§12.1 individual proposal validity", () => {
  it("§12.1.1: an Add whose KeyPackage signature is invalid", async () => {
    const t = await trio();
    const dave = await newClient(suite, "dave");
    const kp = (await kpFor(dave)).keyPackage;
    const sig = kp.signature.slice();
    sig[0]! ^= 1;
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: { ...kp, signature: sig } } },
    ]);
    await refusedByAll(t, "alice", c.message, undefined, CryptoError);
  });

  it("§12.1.1 / §10.1: an Add whose KeyPackage is for another cipher suite", async () => {
    const t = await trio();
    const dave = await newClient(suite, "dave");
    const kp = await resignKeyPackage(
      (await kpFor(dave)).keyPackage,
      dave.signatureKeyPair.privateKey,
      { cipherSuite: 3 },
    );
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp } },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §10.1");
  });

  it("§12.1.1 / §7.3: an Add whose leaf_node_source is not key_package", async () => {
    const t = await trio();
    const dave = await newClient(suite, "dave");
    const base = (await kpFor(dave)).keyPackage;
    const leafNode = await signLeaf(
      dave.signatureKeyPair.privateKey,
      { ...leafCore(base.leafNode), leafNodeSource: 2 } as never,
      { groupId: t.group("alice").groupId, leafIndex: 3 },
    );
    const kp = await resignKeyPackage(base, dave.signatureKeyPair.privateKey, { leafNode });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp } },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §7.3");
  });

  it("§12.1.2 / §7.3: an Update whose leaf_node_source is not update", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const old = bob.ratchetTree.leaf(toLeafIndex(1))!;
    const leafNode = await signLeaf(t.client("bob").signatureKeyPair.privateKey, {
      ...leafCore(old),
      encryptionKey: (await suite.hpke.kem.generateKeyPair()).publicKey,
      leafNodeSource: 1,
      lifetime: { notBefore: 0n, notAfter: 2n ** 62n },
    } as never);
    const p = await bob.propose({ proposalType: ProposalType.update, leafNode });
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(
      t.group("alice"),
      [
        {
          ref: p.ref,
          proposal: { proposalType: ProposalType.update, leafNode },
          sender: asMember(1),
        },
      ],
      { bypass },
    );
    await expectRefused(t.group("carol"), c.message, ValidationError, "RFC9420 §7.3");
    await expectRefused(t.group("bob"), c.message, ValidationError, "RFC9420 §7.3");
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("§12.1.2 / §7.3: an Update that keeps the leaf's encryption key", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const old = bob.ratchetTree.leaf(toLeafIndex(1))!;
    const leafNode = await signLeaf(
      t.client("bob").signatureKeyPair.privateKey,
      { ...leafCore(old), leafNodeSource: 2 } as never,
      { groupId: bob.groupId, leafIndex: 1 },
    );
    const p = await bob.propose({ proposalType: ProposalType.update, leafNode });
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(t.group("alice"), [
      {
        ref: p.ref,
        proposal: { proposalType: ProposalType.update, leafNode },
        sender: asMember(1),
      },
    ]);
    await expectRefused(t.group("carol"), c.message, ValidationError, "RFC9420 §7.3");
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("§12.1.2 / §7.3: an Update leaf signed for another leaf position", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const old = bob.ratchetTree.leaf(toLeafIndex(1))!;
    const leafNode = await signLeaf(
      t.client("bob").signatureKeyPair.privateKey,
      {
        ...leafCore(old),
        encryptionKey: (await suite.hpke.kem.generateKeyPair()).publicKey,
        leafNodeSource: 2,
      } as never,
      { groupId: bob.groupId, leafIndex: 2 },
    );
    const p = await bob.propose({ proposalType: ProposalType.update, leafNode });
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(t.group("alice"), [
      {
        ref: p.ref,
        proposal: { proposalType: ProposalType.update, leafNode },
        sender: asMember(1),
      },
    ]);
    await expectRefused(t.group("carol"), c.message, CryptoError);
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("§12.1.3: a Remove of a blank leaf, and of a leaf outside the tree", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol", "dave"], config });
    const r = await t.group("alice").commit({ remove: [2] });
    for (const n of ["bob", "dave"]) {
      const x = await t.group(n).process(r.commit);
      if (x.kind === "commit") await t.group(n).merge(x.staged);
    }
    await t.group("alice").merge(r.staged);
    const live = ["alice", "bob", "dave"];
    for (const target of [2, 4, 1000]) {
      const c = await craftCommit(t.group("alice"), [{ value: remove(target) }]);
      for (const n of ["bob", "dave"])
        await expectRefused(t.group(n), c.message, ValidationError, "RFC9420 §12.1.3");
    }
    await expectHealthy(
      t.group(live[0]!),
      live.slice(1).map((n) => t.group(n)),
    );
  });

  it("§12.1.4: a PreSharedKey whose psk_nonce is not KDF.Nh bytes", async () => {
    const psks = new InMemoryPskStore().add(utf8("k"), new Uint8Array(32).fill(1));
    const t = await trio({ psks });
    const c = await craftCommit(
      t.group("alice"),
      [{ value: externalPsk("k", new Uint8Array(16)) }],
      {
        psks,
        bypass,
      },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.1.4");
  });

  it.each([
    ["reinit", ResumptionPSKUsage.reinit],
    ["branch", ResumptionPSKUsage.branch],
  ])("§12.1.4: a resumption PSK with usage %s outside a reinit/branch", async (_, usage) => {
    const t = await trio();
    const alice = t.group("alice");
    const c = await craftCommit(alice, [
      {
        value: {
          proposalType: ProposalType.psk,
          psk: {
            psktype: PSKType.resumption,
            usage,
            pskGroupId: alice.groupId,
            pskEpoch: alice.epoch,
            pskNonce: nonce(),
          },
        },
      },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.1.4");
  });

  it("§12.1.5: a ReInit to a lower protocol version", async () => {
    const t = await trio();
    const c = await craftCommit(
      t.group("alice"),
      [
        {
          value: {
            proposalType: ProposalType.reinit,
            groupId: utf8("next"),
            version: 0,
            cipherSuite: suite.id,
            extensions: [],
          },
        },
      ],
      { bypass },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.1.5");
  });

  it("§12.1.7: a GroupContextExtensions requiring a capability a member lacks", async () => {
    const t = await trio();
    const gce: Proposal = {
      proposalType: ProposalType.group_context_extensions,
      extensions: [
        makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
          extensionTypes: [0xff01],
          proposalTypes: [],
          credentialTypes: [],
        }),
      ],
    };
    const c = await craftCommit(t.group("alice"), [{ value: gce }]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.1.7");
  });

  it("§12.1.7: a GroupContextExtensions with an extension a member does not support", async () => {
    const everyoneButCarol = (n: string) => capabilitiesWith(n === "carol" ? [] : [0xff02]);
    const t = await trio({ capabilities: everyoneButCarol });
    const gce: Proposal = {
      proposalType: ProposalType.group_context_extensions,
      extensions: [{ extensionType: 0xff02, extensionData: utf8("x") }],
    };
    const c = await craftCommit(t.group("alice"), [{ value: gce }]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.1.7");
  });

  it("§12.1.7 (positive): the same change once every member supports it", async () => {
    const t = await trio({ capabilities: () => capabilitiesWith([0xff02]) });
    const res = await t.group("alice").commit({
      groupContextExtensions: [{ extensionType: 0xff02, extensionData: utf8("x") }],
    });
    for (const n of ["bob", "carol"]) {
      const r = await t.group(n).process(res.commit);
      expect(r.kind).toBe("commit");
      if (r.kind === "commit") await t.group(n).merge(r.staged);
    }
    await t.group("alice").merge(res.staged);
    expect(t.group("carol").groupContext.extensions.map((e) => e.extensionType)).toEqual([0xff02]);
  });

  it("§13.5: a GroupContextExtensions carrying a GREASE extension", async () => {
    const t = await trio({ capabilities: () => capabilitiesWith([0x2a2a]) });
    const c = await craftCommit(t.group("alice"), [
      {
        value: {
          proposalType: ProposalType.group_context_extensions,
          extensions: [{ extensionType: 0x2a2a, extensionData: new Uint8Array(0) }],
        },
      },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §13.5");
  });

  it("§13.4: a GroupContextExtensions with two extensions of one type", async () => {
    const t = await trio({ capabilities: () => capabilitiesWith([0xff02]) });
    const ext: Extension = { extensionType: 0xff02, extensionData: utf8("x") };
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.group_context_extensions, extensions: [ext, ext] } },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §13.4");
  });
});

// ====================================================================== §12.1.8 external senders

describe("§12.1.8 proposals from outside the group", () => {
  async function withExternalSender(): Promise<{ t: TestGroup; ds: KeyPair }> {
    const ds = await suite.signature.generateKeyPair();
    const t = await trio({
      groupContextExtensions: [
        makeExtension(ExtensionType.external_senders, externalSendersCodec, [
          { signatureKey: ds.publicKey, credential: { credentialType: 1, identity: utf8("ds") } },
        ]),
      ],
    });
    return { t, ds };
  }

  it("accepts a Remove from the external sender (positive control)", async () => {
    const { t, ds } = await withExternalSender();
    const m = await externalProposal(t.group("alice"), 0, ds, remove(2));
    for (const n of ["alice", "bob"]) expect((await t.group(n).process(m)).kind).toBe("proposal");
    const res = await t.group("alice").commit();
    const r = await t.group("bob").process(res.commit);
    expect(r.kind === "commit" && r.staged.removed).toEqual([2]);
  });

  it.each([
    [
      "Update",
      async (t: TestGroup) => ({
        proposalType: ProposalType.update,
        leafNode: t.group("bob").ratchetTree.leaf(toLeafIndex(1))!,
      }),
    ],
    [
      "ExternalInit",
      async () => ({ proposalType: ProposalType.external_init, kemOutput: nonce() }),
    ],
    ["SelfRemove", async () => ({ proposalType: ExtProposalType.self_remove })],
  ] as const)("refuses an external %s (§12.1.8)", async (_, make) => {
    const { t, ds } = await withExternalSender();
    const m = await externalProposal(t.group("alice"), 0, ds, (await make(t)) as Proposal);
    for (const g of t.groups()) await expectRefused(g, m, ValidationError, "RFC9420 §12.1.8");
    await expectHealthy(t.group("bob"), [t.group("alice"), t.group("carol")]);
  });

  it("refuses an unknown external sender index (§12.1.8.1)", async () => {
    const { t, ds } = await withExternalSender();
    const m = await externalProposal(t.group("alice"), 1, ds, remove(2));
    await expectRefused(t.group("bob"), m, ValidationError, "RFC9420 §12.1.8.1");
  });

  it("refuses an external proposal in a group without external_senders", async () => {
    const t = await trio();
    const ds = await suite.signature.generateKeyPair();
    const m = await externalProposal(t.group("alice"), 0, ds, remove(2));
    await expectRefused(t.group("bob"), m, ValidationError, "RFC9420 §12.1.8.1");
  });

  it("refuses a new_member_proposal that is not an Add (§6.1)", async () => {
    const t = await trio();
    const alice = t.group("alice");
    const content: FramedContent = {
      groupId: alice.groupId,
      epoch: alice.epoch,
      sender: { senderType: SenderType.new_member_proposal },
      authenticatedData: new Uint8Array(0),
      contentType: ContentType.proposal,
      proposal: remove(1),
    };
    const signature = await signFramedContent(
      suite,
      t.client("carol").signatureKeyPair.privateKey,
      WireFormat.mls_public_message,
      content,
      undefined,
    );
    const m: MLSMessage = {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: { content, auth: { signature } },
    };
    await expectRefused(t.group("bob"), m, ValidationError, "RFC9420 §6.1");
  });
});

// ====================================================================== §12.2 member commits

describe("§12.2 proposal list validation (member commits)", () => {
  it("refuses an Update generated by the committer", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const p = await bob.proposeUpdate();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(
      bob,
      [{ ref: p.ref, proposal: pendingOf(bob, p.ref), sender: asMember(1) }],
      {
        bypass,
      },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "bob", c.message, "RFC9420 §12.2");
  });

  it("refuses a Remove of the committer", async () => {
    const t = await trio();
    const c = await craftCommit(t.group("alice"), [{ value: remove(0) }], { bypass });
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses two Updates for the same leaf", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const p1 = await bob.proposeUpdate();
    const p2 = await bob.proposeUpdate();
    for (const n of ["alice", "carol"])
      for (const p of [p1, p2]) await t.group(n).process(p.message);
    const alice = t.group("alice");
    const c = await craftCommit(
      alice,
      [p1, p2].map((p) => ({ ref: p.ref, proposal: pendingOf(alice, p.ref), sender: asMember(1) })),
      { bypass },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses an Update and a Remove for the same leaf", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const p = await bob.proposeUpdate();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const alice = t.group("alice");
    const c = await craftCommit(
      alice,
      [
        { ref: p.ref, proposal: pendingOf(alice, p.ref), sender: asMember(1) },
        { value: remove(1) },
      ],
      { bypass },
    );
    await expectRefused(t.group("carol"), c.message, ValidationError, "RFC9420 §12.2");
    await expectHealthy(alice, [bob, t.group("carol")]);
  });

  it("refuses two Removes for the same leaf", async () => {
    const t = await trio();
    const c = await craftCommit(t.group("alice"), [{ value: remove(2) }, { value: remove(2) }], {
      bypass,
    });
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses two Adds for the same client (same identity, application's isSameClient)", async () => {
    const t = await trio();
    const dave = await newClient(suite, "dave");
    const dave2 = { ...(await newClient(suite, "dave")), credential: dave.credential };
    const kps = [(await kpFor(dave)).keyPackage, (await kpFor(dave2)).keyPackage];
    const c = await craftCommit(
      t.group("alice"),
      kps.map((keyPackage) => ({
        value: { proposalType: ProposalType.add, keyPackage } as Proposal,
      })),
      { bypass },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses two Adds with the same signature key", async () => {
    const t = await trio({ config: { ...config, identity: { validateCredential: () => true } } });
    const dave = await newClient(suite, "dave");
    const kps = [(await kpFor(dave)).keyPackage, (await kpFor(dave)).keyPackage];
    const c = await craftCommit(
      t.group("alice"),
      kps.map((keyPackage) => ({
        value: { proposalType: ProposalType.add, keyPackage } as Proposal,
      })),
      { bypass },
    );
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses an Add for a client already in the group", async () => {
    const t = await trio();
    const bobAgain = { ...(await newClient(suite, "bob")), credential: t.client("bob").credential };
    const kp = (await kpFor(bobAgain)).keyPackage;
    const c = await craftCommit(
      t.group("alice"),
      [{ value: { proposalType: ProposalType.add, keyPackage: kp } }],
      {
        bypass,
      },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("accepts an Add of a client that the same commit removes (positive control)", async () => {
    const t = await trio();
    const kp = (await kpFor(t.client("bob"))).keyPackage;
    const res = await t.group("alice").commit({ remove: [1], add: [kp] });
    const r = await t.group("carol").process(res.commit);
    expect(r.kind).toBe("commit");
    if (r.kind === "commit") await t.group("carol").merge(r.staged);
    // Removes apply before Adds (§12.3): the new leaf is the one just freed.
    expect(t.group("carol").members()[1]!.encryptionKey).toEqual(kp.leafNode.encryptionKey);
  });

  it("refuses two PreSharedKey proposals for the same PreSharedKeyID", async () => {
    const psks = new InMemoryPskStore().add(utf8("k"), new Uint8Array(32).fill(1));
    const t = await trio({ psks });
    const n = nonce();
    const c = await craftCommit(
      t.group("alice"),
      [{ value: externalPsk("k", n) }, { value: externalPsk("k", n) }],
      {
        psks,
        bypass,
      },
    );
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("accepts two PSK proposals for the same PSK with different nonces (positive control)", async () => {
    const psks = new InMemoryPskStore().add(utf8("k"), new Uint8Array(32).fill(1));
    const t = await trio({ psks });
    const res = await t.group("alice").commit({
      proposals: [externalPsk("k"), externalPsk("k")],
    });
    for (const n of ["bob", "carol"]) {
      const r = await t.group(n).process(res.commit);
      if (r.kind === "commit") await t.group(n).merge(r.staged);
    }
    await t.group("alice").merge(res.staged);
    expect(t.group("bob").epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("refuses two GroupContextExtensions proposals", async () => {
    const t = await trio();
    const gce: Proposal = { proposalType: ProposalType.group_context_extensions, extensions: [] };
    const c = await craftCommit(t.group("alice"), [{ value: gce }, { value: gce }], { bypass });
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses a ReInit together with another proposal", async () => {
    const t = await trio();
    const reinit: Proposal = {
      proposalType: ProposalType.reinit,
      groupId: utf8("next"),
      version: ProtocolVersion.mls10,
      cipherSuite: suite.id,
      extensions: [],
    };
    const c = await craftCommit(t.group("alice"), [{ value: reinit }, { value: remove(2) }], {
      bypass,
    });
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("accepts a ReInit alone (positive control)", async () => {
    const t = await trio();
    const res = await t.group("alice").commit({
      proposals: [
        {
          proposalType: ProposalType.reinit,
          groupId: utf8("next"),
          version: ProtocolVersion.mls10,
          cipherSuite: suite.id,
          extensions: [],
        },
      ],
    });
    const r = await t.group("bob").process(res.commit);
    expect(r.kind === "commit" && r.staged.reinit?.groupId).toEqual(utf8("next"));
  });

  it("refuses an ExternalInit in a member commit", async () => {
    const t = await trio();
    const c = await craftCommit(
      t.group("alice"),
      [{ value: { proposalType: ProposalType.external_init, kemOutput: nonce() } }],
      { bypass },
    );
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("refuses a non-default proposal type that a remaining member does not support", async () => {
    const caps = (n: string) =>
      capabilitiesWith(
        [],
        n === "carol" ? [] : [wireCode("proposal", ExtProposalType.app_ephemeral)],
      );
    const t = await trio({ capabilities: caps });
    const eph: Proposal = {
      proposalType: ExtProposalType.app_ephemeral,
      componentId: APP,
      data: utf8("x"),
    };
    const c = await craftCommit(t.group("alice"), [{ value: eph }], { bypass });
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.2");
  });

  it("accepts that proposal type when the member lacking it is removed by the commit", async () => {
    const caps = (n: string) =>
      capabilitiesWith(
        [],
        n === "carol" ? [] : [wireCode("proposal", ExtProposalType.app_ephemeral)],
      );
    const t = await trio({ capabilities: caps });
    const res = await t.group("alice").commit({
      remove: [2],
      proposals: [
        { proposalType: ExtProposalType.app_ephemeral, componentId: APP, data: utf8("x") },
      ],
    });
    const r = await t.group("bob").process(res.commit);
    expect(r.kind === "commit" && r.staged.removed).toEqual([2]);
  });

  it("refuses an Add whose leaf reuses an encryption key of the tree (§7.3, tree invalid after the commit)", async () => {
    const t = await trio();
    const dave = await newClient(suite, "dave");
    const bobKey = t.group("alice").members()[1]!.encryptionKey;
    const kp = await keyPackageWithLeaf((await kpFor(dave)).keyPackage, dave.signatureKeyPair, {
      encryptionKey: bobKey,
    });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp } },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §7.3");
  });

  it("refuses an Update whose leaf reuses another member's encryption key (§7.3)", async () => {
    const t = await trio();
    const bob = t.group("bob");
    const carolKey = bob.members()[2]!.encryptionKey;
    const leafNode = await signLeaf(
      t.client("bob").signatureKeyPair.privateKey,
      {
        ...leafCore(bob.ratchetTree.leaf(toLeafIndex(1))!),
        encryptionKey: carolKey,
        leafNodeSource: 2,
      } as never,
      { groupId: bob.groupId, leafIndex: 1 },
    );
    const p = await bob.propose({ proposalType: ProposalType.update, leafNode });
    await t.group("alice").process(p.message);
    await t.group("carol").process(p.message);
    const c = await craftCommit(t.group("alice"), [
      {
        ref: p.ref,
        proposal: { proposalType: ProposalType.update, leafNode },
        sender: asMember(1),
      },
    ]);
    await expectRefused(t.group("carol"), c.message, ValidationError, "RFC9420 §7.3");
    await expectHealthy(t.group("alice"), [bob, t.group("carol")]);
  });
});

// ====================================================================== §12.3 application order

describe("§12.3 applying a proposal list", () => {
  it("applies GroupContextExtensions first: an Add must meet the new required_capabilities", async () => {
    const t = await trio({ capabilities: () => capabilitiesWith([0xff03]) });
    const require: Proposal = {
      proposalType: ProposalType.group_context_extensions,
      extensions: [
        makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
          extensionTypes: [0xff03],
          proposalTypes: [],
          credentialTypes: [],
        }),
      ],
    };
    const dave = await newClient(suite, "dave");
    const lacking = (await kpFor(dave)).keyPackage;
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: lacking } },
      { value: require },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §7.3");

    const erin = await newClient(suite, "erin");
    const able = (await kpFor(erin, { capabilities: capabilitiesWith([0xff03]) })).keyPackage;
    const ok = await t
      .group("alice")
      .commit({ proposals: [{ proposalType: ProposalType.add, keyPackage: able }, require] });
    const r = await t.group("bob").process(ok.commit);
    expect(r.kind === "commit" && r.staged.added).toEqual([3]);
  });

  it("applies Adds in list order, into the leftmost blank leaves", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol", "dave"], config });
    const [e, f] = await Promise.all([newClient(suite, "erin"), newClient(suite, "frank")]);
    const kpE = (await kpFor(e)).keyPackage;
    const kpF = (await kpFor(f)).keyPackage;
    const res = await t.group("alice").commit({ remove: [1], add: [kpE, kpF] });
    const r = await t.group("carol").process(res.commit);
    if (r.kind !== "commit") throw new Error("not a commit");
    expect(r.staged.added).toEqual([1, 4]);
    await t.group("carol").merge(r.staged);
    const keys = t
      .group("carol")
      .members()
      .map((m) => m.encryptionKey);
    expect(keys[1]).toEqual(kpE.leafNode.encryptionKey);
    expect(keys[4]).toEqual(kpF.leafNode.encryptionKey);
  });
});

// ====================================================================== §12.4 commit checks

describe("§12.4.2 commit-level checks", () => {
  it("refuses a Remove without an UpdatePath (§12.4)", async () => {
    const t = await trio();
    const c = await craftCommit(t.group("alice"), [{ value: remove(2) }], { path: false });
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4");
  });

  it('refuses a GroupContextExtensions without an UpdatePath (§12.4, "Path Required")', async () => {
    const t = await trio();
    const c = await craftCommit(
      t.group("alice"),
      [{ value: { proposalType: ProposalType.group_context_extensions, extensions: [] } }],
      { path: false },
    );
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4");
  });

  it("a refused PrivateMessage commit leaves the handshake key of its generation unused", async () => {
    const t = await trio({ config: { ...config, handshakeAsPublicMessage: false } });
    const alice = t.group("alice");
    // A twin of alice forges an invalid commit at alice's next handshake generation.
    const twin = MlsGroup.deserialize(alice.serialize(), { config: alice.config });
    const bad = await craftCommit(twin, [{ value: remove(0) }], { privateMessage: true });
    expect(bad.message.wireFormat).toBe(WireFormat.mls_private_message);
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), bad.message, ValidationError, "RFC9420 §12.2");
    // Alice's genuine commit uses that same generation and is accepted.
    const res = await alice.commit({ includePending: false });
    for (const n of ["bob", "carol"]) {
      const r = await t.group(n).process(res.commit);
      expect(r.kind).toBe("commit");
    }
  });

  it("refuses an empty commit without an UpdatePath (§12.4)", async () => {
    const t = await trio();
    const c = await craftCommit(t.group("alice"), [], { path: false });
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4");
  });

  it("refuses an UpdatePath leaf that keeps the committer's encryption key", async () => {
    const t = await trio();
    const alice = t.group("alice");
    const oldKey = alice.members()[0]!.encryptionKey;
    const c = await craftCommit(alice, [], {
      mutate: (content) =>
        withPathLeaf(content, alice, t.client("alice").signatureKeyPair, { encryptionKey: oldKey }),
    });
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4.2");
  });

  it("refuses an UpdatePath node key that is already in the tree", async () => {
    const t = await trio();
    const alice = t.group("alice");
    const carolKey = alice.members()[2]!.encryptionKey;
    const c = await craftCommit(alice, [], {
      mutate: (content) => {
        if (content.contentType !== ContentType.commit || content.commit.path === undefined)
          throw new Error("no path");
        const path = content.commit.path;
        const nodes = path.nodes.map((n, i) => (i === 0 ? { ...n, encryptionKey: carolKey } : n));
        return { ...content, commit: { ...content.commit, path: { ...path, nodes } } };
      },
    });
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4.2");
  });

  it("refuses an UpdatePath leaf whose leaf_node_source is not commit (§7.3)", async () => {
    const t = await trio();
    const alice = t.group("alice");
    const c = await craftCommit(alice, [], {
      mutate: (content) =>
        withPathLeaf(content, alice, t.client("alice").signatureKeyPair, { leafNodeSource: 2 }),
    });
    await refusedByAll(t, "alice", c.message, "RFC9420 §7.3");
  });

  it("refuses an UpdatePath leaf that takes another member's signature key (§7.3)", async () => {
    const t = await trio();
    const alice = t.group("alice");
    const bobKeys = t.client("bob").signatureKeyPair;
    const c = await craftCommit(alice, [], {
      mutate: (content) =>
        withPathLeaf(content, alice, bobKeys, { signatureKey: bobKeys.publicKey }),
    });
    await refusedByAll(t, "alice", c.message, "RFC9420 §7.3");
  });

  it("refuses a commit whose PSK the receiver does not hold", async () => {
    const psks = new InMemoryPskStore().add(utf8("only-alice"), new Uint8Array(32).fill(9));
    const t = await trio();
    const c = await craftCommit(t.group("alice"), [{ value: externalPsk("only-alice") }], { psks });
    expect(c.genuine).toBe(true);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4.2");
  });

  it("refuses a reference to an unknown proposal", async () => {
    const t = await trio();
    const c = await craftCommit(t.group("alice"), [
      { ref: suite.randomBytes(32), proposal: remove(2), sender: asMember(1) },
    ]);
    await refusedByAll(t, "alice", c.message, "RFC9420 §12.4.2");
  });

  it("refuses a commit with a wrong confirmation tag (CryptoError)", async () => {
    // Nobody is removed: a removed member cannot derive the new epoch, so cannot check the tag.
    const t = await trio();
    const alice = t.group("alice");
    const c = await craftCommit(alice, []);
    expect(c.genuine).toBe(true);
    const m = c.message as MLSMessage & { wireFormat: 1 };
    const tag = m.publicMessage.auth.confirmationTag!.slice();
    tag[0]! ^= 1;
    const broken = await protectPublicMessage(
      suite,
      {
        wireFormat: 1,
        content: m.publicMessage.content,
        auth: { ...m.publicMessage.auth, confirmationTag: tag },
      },
      alice.currentState.secrets.membershipKey,
      alice.currentState.groupContextBytes,
    );
    await refusedByAll(
      t,
      "alice",
      { version: 1, wireFormat: WireFormat.mls_public_message, publicMessage: broken },
      undefined,
      CryptoError,
    );
  });
});

// ====================================================================== external commits

describe("§12.2 proposal list validation (external commits) and §12.4.3.2", () => {
  async function joinWith(
    t: TestGroup,
    o: { proposals?: Proposal[]; removeLeaf?: number; as?: string; psks?: InMemoryPskStore },
  ) {
    const joiner = o.as === undefined ? await newClient(suite, "dave") : t.client(o.as);
    bypass.on = true;
    try {
      return {
        joiner,
        ...(await MlsGroup.joinExternal({
          suite,
          groupInfo: await t.group("alice").groupInfo(),
          credential: joiner.credential,
          signatureKeyPair: joiner.signatureKeyPair,
          config,
          ...(o.proposals === undefined ? {} : { proposals: o.proposals }),
          ...(o.removeLeaf === undefined ? {} : { removeLeaf: o.removeLeaf }),
          ...(o.psks === undefined ? {} : { psks: o.psks }),
        })),
      };
    } finally {
      bypass.on = false;
    }
  }

  it("accepts a plain external join and a resync by the same client (positive controls)", async () => {
    const t = await trio();
    const { commit } = await joinWith(t, {});
    const r = await t.group("bob").process(commit);
    expect(r.kind === "commit" && r.staged.committerLeaf).toBe(3);
    const t2 = await trio();
    const { commit: resync } = await joinWith(t2, { removeLeaf: 1, as: "bob" });
    const r2 = await t2.group("carol").process(resync);
    expect(r2.kind === "commit" && [r2.staged.removed, r2.staged.committerLeaf]).toEqual([[1], 1]);
  });

  it("refuses two ExternalInit proposals", async () => {
    const t = await trio();
    const { commit } = await joinWith(t, {
      proposals: [{ proposalType: ProposalType.external_init, kemOutput: nonce() }],
    });
    for (const g of t.groups()) await expectRefused(g, commit, ValidationError, "RFC9420 §12.2");
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("refuses two Remove proposals", async () => {
    const t = await trio();
    const { commit } = await joinWith(t, { removeLeaf: 1, as: "bob", proposals: [remove(2)] });
    for (const g of [t.group("alice"), t.group("carol")])
      await expectRefused(g, commit, ValidationError, "RFC9420 §12.2");
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it.each([
    [
      "Add",
      async () => ({
        proposalType: ProposalType.add,
        keyPackage: (await kpFor(await newClient(suite, "x"))).keyPackage,
      }),
    ],
    [
      "GroupContextExtensions",
      async () => ({ proposalType: ProposalType.group_context_extensions, extensions: [] }),
    ],
    [
      "ReInit",
      async () => ({
        proposalType: ProposalType.reinit,
        groupId: utf8("n"),
        version: 1,
        cipherSuite: 1,
        extensions: [],
      }),
    ],
  ] as const)("refuses an external commit carrying a%s proposal", async (_, make) => {
    const t = await trio();
    const { commit } = await joinWith(t, { proposals: [(await make()) as Proposal] });
    for (const g of t.groups()) await expectRefused(g, commit, ValidationError, "RFC9420 §12.2");
    await expectHealthy(t.group("carol"), [t.group("alice"), t.group("bob")]);
  });

  it("refuses an Update in an external commit (§12.1.2: only members send Updates)", async () => {
    const t = await trio();
    const leafNode = t.group("alice").ratchetTree.leaf(toLeafIndex(1))!;
    const { commit, joiner } = await joinWith(t, {});
    const bad = await resignExternal(t.group("alice"), commit, joiner.signatureKeyPair, (c) =>
      c.contentType === ContentType.commit
        ? {
            ...c,
            commit: {
              ...c.commit,
              proposals: [
                ...c.commit.proposals,
                { type: 1, proposal: { proposalType: ProposalType.update, leafNode } },
              ],
            },
          }
        : c,
    );
    await expectRefused(t.group("bob"), bad, ValidationError, "RFC9420 §12.1.2");
  });

  it("refuses an external commit without its ExternalInit", async () => {
    const t = await trio();
    const { commit, joiner } = await joinWith(t, {});
    const bad = await resignExternal(t.group("alice"), commit, joiner.signatureKeyPair, (c) =>
      c.contentType === ContentType.commit
        ? {
            ...c,
            commit: {
              ...c.commit,
              proposals: c.commit.proposals.filter(
                (p) => p.type === 1 && p.proposal.proposalType !== ProposalType.external_init,
              ),
            },
          }
        : c,
    );
    await expectRefused(t.group("bob"), bad, ValidationError, "RFC9420 §12.2");
  });

  it("refuses an external commit that references a proposal (§12.4.3.2)", async () => {
    const t = await trio();
    const p = await t.group("bob").proposeRemove(2);
    await t.group("alice").process(p.message);
    const { commit, joiner } = await joinWith(t, {});
    const bad = await resignExternal(t.group("alice"), commit, joiner.signatureKeyPair, (c) =>
      c.contentType === ContentType.commit
        ? {
            ...c,
            commit: {
              ...c.commit,
              proposals: [...c.commit.proposals, { type: 2, reference: p.ref }],
            },
          }
        : c,
    );
    await expectRefused(t.group("alice"), bad, ValidationError, "RFC9420 §12.4.3.2");
  });

  it("refuses an external commit without an UpdatePath (§6.1 / §12.4.3.2)", async () => {
    const t = await trio();
    const { commit, joiner } = await joinWith(t, {});
    const bad = await resignExternal(t.group("alice"), commit, joiner.signatureKeyPair, (c) =>
      c.contentType === ContentType.commit
        ? { ...c, commit: { proposals: c.commit.proposals } }
        : c,
    );
    await expectRefused(t.group("bob"), bad, ValidationError, "RFC9420 §6.1");
  });

  it("refuses an external commit not signed by the joiner's path leaf key (CryptoError)", async () => {
    const t = await trio();
    const { commit } = await joinWith(t, {});
    const mallory = await suite.signature.generateKeyPair();
    const bad = await resignExternal(t.group("alice"), commit, mallory, (c) => c);
    for (const g of t.groups()) await expectRefused(g, bad, CryptoError);
    expect((await t.group("bob").process(commit)).kind).toBe("commit");
  });

  it("refuses a resync that removes a different client (§12.2)", async () => {
    const t = await trio();
    const { commit, joiner } = await joinWith(t, {});
    const bad = await resignExternal(t.group("alice"), commit, joiner.signatureKeyPair, (c) =>
      c.contentType === ContentType.commit
        ? {
            ...c,
            commit: {
              ...c.commit,
              proposals: [...c.commit.proposals, { type: 1, proposal: remove(1) }],
            },
          }
        : c,
    );
    for (const g of [t.group("alice"), t.group("carol")])
      await expectRefused(g, bad, ValidationError, "RFC9420 §12.2");
    // The joiner's own API refuses to build it.
    const dave = await newClient(suite, "dave");
    await rejects(
      MlsGroup.joinExternal({
        suite,
        groupInfo: await t.group("alice").groupInfo(),
        credential: dave.credential,
        signatureKeyPair: dave.signatureKeyPair,
        removeLeaf: 1,
        config,
      }),
      ValidationError,
      "RFC9420 §12.2",
    );
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("refuses two PSK proposals with the same id in an external commit", async () => {
    const psks = new InMemoryPskStore().add(utf8("k"), new Uint8Array(32).fill(1));
    const t = await trio({ psks });
    const n = nonce();
    const { commit } = await joinWith(t, {
      proposals: [externalPsk("k", n), externalPsk("k", n)],
      psks,
    });
    await expectRefused(t.group("bob"), commit, ValidationError, "RFC9420 §12.2");
  });
});

// ====================================================================== helpers

/** Replaces the commit's UpdatePath leaf with a changed copy, signed by `signer`. */
async function withPathLeaf(
  content: FramedContent,
  g: MlsGroup,
  signer: KeyPair,
  change: Record<string, unknown>,
): Promise<FramedContent> {
  if (content.contentType !== ContentType.commit || content.commit.path === undefined)
    throw new Error("no path");
  const path = content.commit.path;
  const leafNode = await signLeaf(
    signer.privateKey,
    { ...leafCore(path.leafNode), ...change } as never,
    { groupId: g.groupId, leafIndex: g.ownLeafIndex },
  );
  return { ...content, commit: { ...content.commit, path: { ...path, leafNode } } };
}

async function resignExternal(
  g: MlsGroup,
  msg: MLSMessage,
  joiner: KeyPair,
  mutate: (c: FramedContent) => FramedContent,
): Promise<MLSMessage> {
  if (msg.wireFormat !== WireFormat.mls_public_message) throw new Error("not public");
  const content = mutate(msg.publicMessage.content);
  const signature = await signFramedContent(
    suite,
    joiner.privateKey,
    WireFormat.mls_public_message,
    content,
    g.currentState.groupContextBytes,
  );
  return {
    ...msg,
    publicMessage: { content, auth: { ...msg.publicMessage.auth, signature } },
  };
}
