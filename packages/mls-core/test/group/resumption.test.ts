/**
 * Reinitialisation and subgroup branching (RFC 9420 §11.2, §11.3): the ReInit follow-through
 * (`MlsGroup.reinitSuccessor`, §12.4.1), `MlsGroup.branch`, and the joiner's checks of a
 * Welcome carrying a reinit or branch resumption PSK (§12.4.3.1). The negative cases build the
 * new group as a hostile creator would (with `createCommit` directly), so that the Welcome is
 * consistent (signature, PSK, confirmation tag) and only the rule under test can refuse it;
 * each one checks the ValidationError and that the old group did not change.
 */
import { describe, expect, it } from "vitest";
import {
  type CipherSuite,
  CodecError,
  createCommit,
  decodeBytes,
  decryptWithLabel,
  ExtensionType,
  encodeBytes,
  type GroupSecrets,
  generateKeyPackage,
  getCipherSuite,
  groupSecretsCodec,
  type KeyPackage,
  type KeyPackageBundle,
  keyPackageRef,
  type MLSMessage,
  MlsGroup,
  makeExtension,
  NO_PSKS,
  type PreSharedKeyID,
  type Proposal,
  ProposalType,
  ProtocolVersion,
  PSKType,
  proposalCodec,
  type ReInitProposal,
  ResumptionPSKUsage,
  requiredCapabilitiesCodec,
  resolvePsks,
  SenderType,
  UsageError,
  utf8,
  ValidationError,
  WireFormat,
} from "../../src/index.js";
import { newClient, type TestClient } from "../helpers.js";

const suite = getCipherSuite(1);
const R = "RFC9420 §12.4.3.1";

interface Trio {
  readonly clients: Record<"alice" | "bob" | "carol", TestClient>;
  readonly alice: MlsGroup;
  readonly bob: MlsGroup;
  readonly carol: MlsGroup;
  readonly all: MlsGroup[];
}

function kp(s: CipherSuite, c: TestClient): Promise<KeyPackageBundle> {
  return generateKeyPackage({
    suite: s,
    credential: c.credential,
    signatureKeyPair: c.signatureKeyPair,
  });
}

/** Alice, Bob and Carol in a suite-1 group at epoch 1. */
async function trio(): Promise<Trio> {
  const [a, b, c] = await Promise.all(["alice", "bob", "carol"].map((n) => newClient(suite, n)));
  const alice = await MlsGroup.create({ suite, ...a! });
  const [kb, kc] = await Promise.all([kp(suite, b!), kp(suite, c!)]);
  const res = await alice.commit({ add: [kb.keyPackage, kc.keyPackage] });
  await alice.merge(res.staged);
  const bob = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kb });
  const carol = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kc });
  return {
    clients: { alice: a!, bob: b!, carol: c! },
    alice,
    bob,
    carol,
    all: [alice, bob, carol],
  };
}

function reinitProposal(o: Partial<Omit<ReInitProposal, "proposalType">> = {}): ReInitProposal {
  return {
    proposalType: ProposalType.reinit,
    groupId: o.groupId ?? utf8("the successor group"),
    version: o.version ?? ProtocolVersion.mls10,
    cipherSuite: o.cipherSuite ?? suite.id,
    extensions: o.extensions ?? [],
  };
}

/** Bob proposes the ReInit, Alice commits it by reference, everyone merges (§11.2 steps 1–2). */
async function reinitAll(t: Trio, p: ReInitProposal): Promise<void> {
  const { message } = await t.bob.propose(p);
  for (const g of [t.alice, t.carol]) await g.process(message);
  const res = await t.alice.commit();
  for (const g of [t.bob, t.carol]) {
    const r = await g.process(res.commit);
    if (r.kind !== "commit") throw new Error(`expected a commit, got ${r.kind}`);
    expect(r.staged.reinit).toEqual(p);
    await g.merge(r.staged);
  }
  await t.alice.merge(res.staged);
}

/** Every group sends one message that all the others decrypt. */
async function talk(groups: readonly MlsGroup[]): Promise<void> {
  for (const [i, from] of groups.entries()) {
    const text = utf8(`hello from ${i} at ${from.epoch}`);
    const m = await from.encrypt(text);
    for (const to of groups) {
      if (to === from) continue;
      const r = await to.process(m);
      expect(r.kind === "application" && r.data).toEqual(text);
    }
  }
}

function sameEpoch(groups: readonly MlsGroup[]): void {
  for (const g of groups) {
    expect(g.epoch).toBe(groups[0]!.epoch);
    expect(g.epochAuthenticator).toEqual(groups[0]!.epochAuthenticator);
  }
}

function welcomeBody(m: MLSMessage) {
  if (m.wireFormat !== WireFormat.mls_welcome) throw new Error("not a Welcome");
  return m.welcome;
}

/** The GroupSecrets of a Welcome, as the holder of `bundle` decrypts them. */
async function groupSecrets(
  s: CipherSuite,
  welcome: MLSMessage,
  bundle: KeyPackageBundle,
): Promise<GroupSecrets> {
  const w = welcomeBody(welcome);
  const ref = await keyPackageRef(s, bundle.keyPackage);
  const entry = w.secrets.find((e) => e.newMember.every((x, i) => x === ref[i]))!;
  return decodeBytes(
    groupSecretsCodec,
    await decryptWithLabel(
      s,
      bundle.privateKeys.initPrivateKey,
      bundle.keyPackage.initKey,
      "Welcome",
      w.encryptedGroupInfo,
      entry.encryptedGroupSecrets.kemOutput,
      entry.encryptedGroupSecrets.ciphertext,
    ),
  );
}

/**
 * A new group made as a hostile creator would: its own parameters, `emptyCommits` commits
 * before the one that adds `keyPackages` and injects `pskId` (value `psk`), and a Welcome that
 * is otherwise genuine.
 */
async function hostileWelcome(o: {
  suite: CipherSuite;
  creator: TestClient;
  groupId: Uint8Array;
  extensions?: ReInitProposal["extensions"];
  keyPackages: readonly KeyPackage[];
  pskId: PreSharedKeyID;
  psk: Uint8Array;
  emptyCommits?: number;
}): Promise<MLSMessage> {
  const g = await MlsGroup.create({
    suite: o.suite,
    ...o.creator,
    groupId: o.groupId,
    groupContextExtensions: o.extensions ?? [],
  });
  for (let i = 0; i < (o.emptyCommits ?? 0); i++) await g.merge((await g.commit()).staged);
  const me = { senderType: SenderType.member, leafIndex: g.ownLeafIndex } as const;
  const proposals: Proposal[] = [
    ...o.keyPackages.map((keyPackage) => ({ proposalType: ProposalType.add, keyPackage }) as const),
    { proposalType: ProposalType.psk, psk: o.pskId },
  ];
  const created = await createCommit(
    g.currentState,
    {
      config: g.config,
      resolvePsks: (ids) => resolvePsks(ids, NO_PSKS, () => o.psk),
    },
    {
      proposals: proposals.map((proposal) => ({ byValue: { proposal, sender: me } })),
      forcePath: true,
      wireFormat: WireFormat.mls_public_message,
      authenticatedData: new Uint8Array(0),
      ratchetTreeInWelcome: true,
      groupInfo: false,
      resumption: o.pskId,
    },
  );
  return { version: 1, wireFormat: WireFormat.mls_welcome, welcome: created.welcome! };
}

function resumptionId(
  s: CipherSuite,
  usage: number,
  old: MlsGroup,
  epoch: bigint = old.epoch,
): PreSharedKeyID {
  return {
    psktype: PSKType.resumption,
    usage,
    pskGroupId: old.groupId,
    pskEpoch: epoch,
    pskNonce: s.randomBytes(s.kdf.Nh),
  };
}

/** `join` is refused with a §12.4.3.1 ValidationError and `old` is byte-for-byte unchanged. */
async function refusedJoin(
  join: () => Promise<MlsGroup>,
  old: MlsGroup | undefined,
  message?: RegExp,
): Promise<void> {
  const before = old?.serialize();
  let err: unknown;
  try {
    await join();
  } catch (e) {
    err = e;
  }
  expect(err, "the join must be refused").toBeInstanceOf(ValidationError);
  expect((err as ValidationError).rule).toBe(R);
  if (message !== undefined) expect((err as Error).message).toMatch(message);
  if (old !== undefined) expect(old.serialize()).toEqual(before);
}

// ====================================================================== reinitialisation

describe("reinitialisation (RFC 9420 §11.2, §12.4.1)", () => {
  it("§11.2: reinitialises a three-member group; the others join with the reinit PSK and talk", async () => {
    const t = await trio();
    const ext = makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
      extensionTypes: [],
      proposalTypes: [],
      credentialTypes: [],
    });
    const p = reinitProposal({ groupId: utf8("reinit: same suite"), extensions: [ext] });
    await reinitAll(t, p);
    const oldEpoch = t.alice.epoch;
    for (const g of t.all) {
      expect(g.isActive).toBe(false);
      expect(g.reinitProposal).toEqual(p);
    }
    // Carol, who neither proposed nor committed the ReInit, creates the new group (§11.2 note).
    const [ka, kb] = await Promise.all([kp(suite, t.clients.alice), kp(suite, t.clients.bob)]);
    const created = await t.carol.reinitSuccessor({ keyPackages: [ka.keyPackage, kb.keyPackage] });
    const carol2 = created.group;
    expect(carol2.epoch).toBe(0n);
    await carol2.merge(created.staged);
    const gc = carol2.groupContext;
    expect([gc.groupId, gc.version, gc.cipherSuite, gc.extensions, gc.epoch]).toEqual([
      p.groupId,
      p.version,
      p.cipherSuite,
      p.extensions,
      1n,
    ]);
    // The Welcome names the old group's resumption PSK of the epoch after the ReInit commit.
    const gs = await groupSecrets(suite, created.welcome!, ka);
    expect(gs.psks).toHaveLength(1);
    const id = gs.psks[0]!;
    expect(id.psktype).toBe(PSKType.resumption);
    if (id.psktype !== PSKType.resumption) return;
    expect(id.usage).toBe(ResumptionPSKUsage.reinit);
    expect(id.pskGroupId).toEqual(t.alice.groupId);
    expect(id.pskEpoch).toBe(oldEpoch);
    expect(id.pskNonce).toHaveLength(suite.kdf.Nh);

    const alice2 = await MlsGroup.join({
      suite,
      welcome: created.welcome!,
      keyPackage: ka,
      resumedFrom: t.alice,
    });
    const bob2 = await MlsGroup.join({
      suite,
      welcome: created.welcome!,
      keyPackage: kb,
      resumedFrom: t.bob,
    });
    const fresh = [alice2, bob2, carol2];
    sameEpoch(fresh);
    expect(alice2.members()).toHaveLength(3);
    await talk(fresh);
    // the new group goes on as any other; the old one stays closed
    const c = await bob2.commit();
    for (const g of [alice2, carol2]) {
      const r = await g.process(c.commit);
      if (r.kind === "commit") await g.merge(r.staged);
    }
    await bob2.merge(c.staged);
    sameEpoch(fresh);
    await talk(fresh);
    for (const g of t.all) await expect(g.encrypt(utf8("old"))).rejects.toBeInstanceOf(UsageError);
  });

  it.each([
    ["0xf00a", 0xf00a],
    ["0x0003", 3],
  ])("§11.2: reinitialises from cipher suite 1 to %s", async (_, id) => {
    const t = await trio();
    const next = getCipherSuite(id);
    await reinitAll(t, reinitProposal({ groupId: utf8(`to ${id}`), cipherSuite: id }));
    // fresh signature keys of the new suite; the same (basic) credentials
    const [a2, b2, c2] = await Promise.all(
      ["alice", "bob", "carol"].map((n) => newClient(next, n)),
    );
    const [kb, kc] = await Promise.all([kp(next, b2!), kp(next, c2!)]);
    // without a key pair of the new suite the successor cannot be created
    await expect(
      t.alice.reinitSuccessor({ keyPackages: [kb.keyPackage, kc.keyPackage] }),
    ).rejects.toBeInstanceOf(UsageError);
    const created = await t.alice.reinitSuccessor({
      suite: next,
      signatureKeyPair: a2!.signatureKeyPair,
      keyPackages: [kb.keyPackage, kc.keyPackage],
    });
    await created.group.merge(created.staged);
    expect(created.group.suite.id).toBe(id);
    expect(created.group.groupContext.cipherSuite).toBe(id);
    const gs = await groupSecrets(next, created.welcome!, kb);
    expect(gs.psks[0]!.pskNonce).toHaveLength(next.kdf.Nh);
    const bob2 = await MlsGroup.join({
      suite: next,
      welcome: created.welcome!,
      keyPackage: kb,
      resumedFrom: t.bob,
    });
    const carol2 = await MlsGroup.join({
      suite: next,
      welcome: created.welcome!,
      keyPackage: kc,
      resumedFrom: t.carol,
    });
    const fresh = [created.group, bob2, carol2];
    sameEpoch(fresh);
    await talk(fresh);
  });

  it("§12.4.1: the successor must have exactly the old group's members", async () => {
    const t = await trio();
    // before the ReInit there is nothing to follow through
    await expect(t.alice.reinitSuccessor({ keyPackages: [] })).rejects.toBeInstanceOf(UsageError);
    await reinitAll(t, reinitProposal());
    const erin = await newClient(suite, "erin");
    const [kb, kc, ke, ka] = await Promise.all([
      kp(suite, t.clients.bob),
      kp(suite, t.clients.carol),
      kp(suite, erin),
      kp(suite, t.clients.alice),
    ]);
    const before = t.alice.serialize();
    for (const keyPackages of [
      [kb.keyPackage], // Carol is missing
      [kb.keyPackage, kc.keyPackage, ke.keyPackage], // Erin was not a member
      [kb.keyPackage, kc.keyPackage, ka.keyPackage], // the creator itself
    ]) {
      const err = await t.alice.reinitSuccessor({ keyPackages }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).rule).toBe("RFC9420 §12.4.1");
    }
    expect(t.alice.serialize()).toEqual(before);
    // a ReInit to a version this library does not implement cannot be followed through
    const u = await trio();
    await reinitAll(u, reinitProposal({ version: 2 }));
    await expect(u.alice.reinitSuccessor({ keyPackages: [] })).rejects.toBeInstanceOf(UsageError);
  });
});

// ====================================================================== branching

describe("subgroup branching (RFC 9420 §11.3)", () => {
  it("§11.3: branches a two-member subgroup with a branch PSK; both groups go on", async () => {
    const t = await trio();
    const kb = await kp(suite, t.clients.bob);
    const created = await t.alice.branch({
      groupId: utf8("alice and bob"),
      keyPackages: [kb.keyPackage],
    });
    await created.group.merge(created.staged);
    const sub = created.group;
    expect(sub.groupId).toEqual(utf8("alice and bob"));
    expect(sub.groupContext.cipherSuite).toBe(suite.id);
    expect(sub.groupContext.extensions).toEqual(t.alice.groupContext.extensions);
    const gs = await groupSecrets(suite, created.welcome!, kb);
    const id = gs.psks[0]!;
    expect(gs.psks).toHaveLength(1);
    expect(id.psktype === PSKType.resumption && [id.usage, id.pskGroupId, id.pskEpoch]).toEqual([
      ResumptionPSKUsage.branch,
      t.alice.groupId,
      t.alice.epoch,
    ]);
    expect(id.pskNonce).toHaveLength(suite.kdf.Nh);
    const bobSub = await MlsGroup.join({
      suite,
      welcome: created.welcome!,
      keyPackage: kb,
      resumedFrom: t.bob,
    });
    sameEpoch([sub, bobSub]);
    expect(bobSub.members()).toHaveLength(2);
    await talk([sub, bobSub]);
    // the old group is untouched and still works
    expect(t.alice.isActive).toBe(true);
    await talk(t.all);
  });

  it("§11.3: the creator refuses KeyPackages of clients that are not members", async () => {
    const t = await trio();
    const erin = await newClient(suite, "erin");
    const [ke, kb, ka] = await Promise.all([
      kp(suite, erin),
      kp(suite, t.clients.bob),
      kp(suite, t.clients.alice),
    ]);
    const before = t.alice.serialize();
    for (const keyPackages of [
      [kb.keyPackage, ke.keyPackage],
      [ka.keyPackage],
      [kb.keyPackage, kb.keyPackage],
    ]) {
      const err = await t.alice.branch({ keyPackages }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).rule).toBe("RFC9420 §11.3");
    }
    expect(t.alice.serialize()).toEqual(before);
  });
});

// ====================================================================== §12.4.3.1 joiner checks

describe("joining a reinitialised or branched group (RFC 9420 §12.4.3.1)", () => {
  it("§12.4.3.1: a reinit or branch Welcome is refused without the old group, or with another", async () => {
    const t = await trio();
    const other = await trio();
    const kb = await kp(suite, t.clients.bob);
    const branched = await t.alice.branch({ keyPackages: [kb.keyPackage] });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome: branched.welcome!, keyPackage: kb }),
      t.bob,
      /resumedFrom/,
    );
    await refusedJoin(
      () =>
        MlsGroup.join({
          suite,
          welcome: branched.welcome!,
          keyPackage: kb,
          resumedFrom: other.bob,
        }),
      other.bob,
      /another group/,
    );
    await reinitAll(t, reinitProposal());
    const [kb2, kc] = await Promise.all([kp(suite, t.clients.bob), kp(suite, t.clients.carol)]);
    const created = await t.alice.reinitSuccessor({ keyPackages: [kb2.keyPackage, kc.keyPackage] });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome: created.welcome!, keyPackage: kb2 }),
      t.bob,
      /resumedFrom/,
    );
    // positive control: with its old group the same Welcome joins
    const bob2 = await MlsGroup.join({
      suite,
      welcome: created.welcome!,
      keyPackage: kb2,
      resumedFrom: t.bob,
    });
    expect(bob2.epoch).toBe(1n);
  });

  it("§12.4.3.1: a Welcome with a reinit PSK must start the group at epoch 1", async () => {
    const t = await trio();
    const p = reinitProposal();
    await reinitAll(t, p);
    const psk = t.alice.currentState.secrets.resumptionPsk;
    const welcomeAt = async (emptyCommits: number) => {
      const [kb, kc] = await Promise.all([kp(suite, t.clients.bob), kp(suite, t.clients.carol)]);
      const welcome = await hostileWelcome({
        suite,
        creator: t.clients.alice,
        groupId: p.groupId,
        keyPackages: [kb.keyPackage, kc.keyPackage],
        pskId: resumptionId(suite, ResumptionPSKUsage.reinit, t.alice),
        psk,
        emptyCommits,
      });
      return { welcome, kb };
    };
    // control: the same construction for epoch 1 is accepted
    const ok = await welcomeAt(0);
    const joined = await MlsGroup.join({
      suite,
      welcome: ok.welcome,
      keyPackage: ok.kb,
      resumedFrom: t.bob,
    });
    expect(joined.epoch).toBe(1n);
    // at epoch 2 the Welcome is consistent (signature, PSK, confirmation tag) but refused
    const bad = await welcomeAt(1);
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome: bad.welcome, keyPackage: bad.kb, resumedFrom: t.bob }),
      t.bob,
      /epoch 1/,
    );
  });

  it("§12.4.3.1: a reinit PSK naming a group whose last commit had no ReInit", async () => {
    const t = await trio();
    const kb = await kp(suite, t.clients.bob);
    const kc = await kp(suite, t.clients.carol);
    const welcome = await hostileWelcome({
      suite,
      creator: t.clients.alice,
      groupId: utf8("a successor nobody asked for"),
      keyPackages: [kb.keyPackage, kc.keyPackage],
      pskId: resumptionId(suite, ResumptionPSKUsage.reinit, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      /no ReInit/,
    );
  });

  it("§12.4.3.1: a reinit PSK that does not name the epoch after the ReInit commit", async () => {
    const t = await trio();
    const earlier = t.alice.epoch;
    const psk = t.alice.currentState.secrets.resumptionPsk.slice();
    const p = reinitProposal();
    await reinitAll(t, p);
    const [kb, kc] = await Promise.all([kp(suite, t.clients.bob), kp(suite, t.clients.carol)]);
    const welcome = await hostileWelcome({
      suite,
      creator: t.clients.alice,
      groupId: p.groupId,
      keyPackages: [kb.keyPackage, kc.keyPackage],
      pskId: resumptionId(suite, ResumptionPSKUsage.reinit, t.alice, earlier),
      psk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      /names epoch/,
    );
  });

  const otherExt = makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
    extensionTypes: [],
    proposalTypes: [],
    credentialTypes: [],
  });
  it.each([
    ["group_id", reinitProposal({ groupId: utf8("promised id") }), /group_id/],
    ["cipher_suite", reinitProposal({ cipherSuite: 3 }), /cipher suite/],
    ["version", reinitProposal({ version: 2 }), /version/],
    ["extensions", reinitProposal({ extensions: [otherExt] }), /extensions/],
  ] as const)("§12.4.3.1: a reinit Welcome whose %s is not the ReInit's", async (_, p, message) => {
    const t = await trio();
    await reinitAll(t, p);
    const [kb, kc] = await Promise.all([kp(suite, t.clients.bob), kp(suite, t.clients.carol)]);
    // a suite-1, mls10 group with group id "the successor group" and no extensions
    const welcome = await hostileWelcome({
      suite,
      creator: t.clients.alice,
      groupId: utf8("the successor group"),
      keyPackages: [kb.keyPackage, kc.keyPackage],
      pskId: resumptionId(suite, ResumptionPSKUsage.reinit, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      message,
    );
  });

  it("§12.4.3.1: a reinit Welcome that leaves out a member of the old group", async () => {
    const t = await trio();
    const p = reinitProposal();
    await reinitAll(t, p);
    const kb = await kp(suite, t.clients.bob);
    const welcome = await hostileWelcome({
      suite,
      creator: t.clients.alice,
      groupId: p.groupId,
      keyPackages: [kb.keyPackage], // Carol is left out
      pskId: resumptionId(suite, ResumptionPSKUsage.reinit, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      /not a member of the new group/,
    );
  });

  it("§12.4.3.1: a branch Welcome with a member that is not in the old group", async () => {
    const t = await trio();
    const erin = await newClient(suite, "erin");
    const [kb, ke] = await Promise.all([kp(suite, t.clients.bob), kp(suite, erin)]);
    const welcome = await hostileWelcome({
      suite,
      creator: t.clients.alice,
      groupId: utf8("alice, bob and erin"),
      keyPackages: [kb.keyPackage, ke.keyPackage],
      pskId: resumptionId(suite, ResumptionPSKUsage.branch, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      /leaf 2 .*not a member of the old group/,
    );
    // a branch created by a client that is not in the old group is refused as well
    const kc = await kp(suite, t.clients.carol);
    const byErin = await hostileWelcome({
      suite,
      creator: erin,
      groupId: utf8("erin and carol"),
      keyPackages: [kc.keyPackage],
      pskId: resumptionId(suite, ResumptionPSKUsage.branch, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome: byErin, keyPackage: kc, resumedFrom: t.carol }),
      t.carol,
      /leaf 0 .*not a member of the old group/,
    );
  });

  it("§12.4.3.1: a branch Welcome in another cipher suite than the old group's", async () => {
    const t = await trio();
    const other = getCipherSuite(3);
    const [a3, b3] = await Promise.all(["alice", "bob"].map((n) => newClient(other, n)));
    const kb = await kp(other, b3!);
    const welcome = await hostileWelcome({
      suite: other,
      creator: a3!,
      groupId: utf8("a branch in suite 3"),
      keyPackages: [kb.keyPackage],
      pskId: resumptionId(other, ResumptionPSKUsage.branch, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite: other, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      /cipher suite/,
    );
  });

  it("§12.4.3.1: a branch Welcome must start the group at epoch 1", async () => {
    const t = await trio();
    const kb = await kp(suite, t.clients.bob);
    const welcome = await hostileWelcome({
      suite,
      creator: t.clients.alice,
      groupId: utf8("late branch"),
      keyPackages: [kb.keyPackage],
      pskId: resumptionId(suite, ResumptionPSKUsage.branch, t.alice),
      psk: t.alice.currentState.secrets.resumptionPsk,
      emptyCommits: 2,
    });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome, keyPackage: kb, resumedFrom: t.bob }),
      t.bob,
      /epoch 1/,
    );
  });
});

// ====================================================================== state

describe("the state of a reinitialised group", () => {
  it("a group in reinit state survives serialize/deserialize and then creates the successor", async () => {
    const t = await trio();
    const p = reinitProposal({ groupId: utf8("after a restart") });
    await reinitAll(t, p);
    const [alice, bob, carol] = t.all.map((g) => MlsGroup.deserialize(g.serialize()));
    for (const g of [alice!, bob!, carol!]) {
      expect(g.isActive).toBe(false);
      expect(g.reinitProposal).toEqual(p);
      await expect(g.encrypt(utf8("no"))).rejects.toBeInstanceOf(UsageError);
    }
    const [kb, kc] = await Promise.all([kp(suite, t.clients.bob), kp(suite, t.clients.carol)]);
    const created = await alice!.reinitSuccessor({ keyPackages: [kb.keyPackage, kc.keyPackage] });
    await created.group.merge(created.staged);
    const bob2 = await MlsGroup.join({
      suite,
      welcome: created.welcome!,
      keyPackage: kb,
      resumedFrom: bob!,
    });
    const carol2 = await MlsGroup.join({
      suite,
      welcome: created.welcome!,
      keyPackage: kc,
      resumedFrom: carol!,
    });
    const fresh = [created.group, bob2, carol2];
    sameEpoch(fresh);
    await talk(fresh);
    // and the new group's own state round-trips too
    const restored = MlsGroup.deserialize(bob2.serialize());
    await talk([restored, carol2]);
  });

  it("reads state blobs of format version 1 (without the recorded ReInit)", async () => {
    const t = await trio();
    const asVersion1 = (blob: Uint8Array, tail: number) => {
      const v1 = blob.slice(0, blob.length - tail);
      new DataView(v1.buffer).setUint16(4, 1);
      return v1;
    };
    // an active group: version 2 only adds the absent-ReInit octet
    const v2 = t.alice.serialize();
    expect(v2[v2.length - 1]).toBe(0);
    const restored = MlsGroup.deserialize(asVersion1(v2, 1));
    expect(restored.serialize()).toEqual(v2);
    await talk([restored, t.bob]);
    // a group closed by a ReInit: the v1 blob lacks the ReInit, so the follow-through and the
    // joiner's checks refuse what they cannot verify
    const p = reinitProposal();
    await reinitAll(t, p);
    const tail = 1 + encodeBytes(proposalCodec, p).length;
    const bobV1 = MlsGroup.deserialize(asVersion1(t.bob.serialize(), tail));
    const aliceV1 = MlsGroup.deserialize(asVersion1(t.alice.serialize(), tail));
    expect(bobV1.isActive).toBe(false);
    expect(bobV1.reinitProposal).toBeUndefined();
    await expect(aliceV1.reinitSuccessor({ keyPackages: [] })).rejects.toBeInstanceOf(UsageError);
    const [kb, kc] = await Promise.all([kp(suite, t.clients.bob), kp(suite, t.clients.carol)]);
    const created = await t.alice.reinitSuccessor({ keyPackages: [kb.keyPackage, kc.keyPackage] });
    await refusedJoin(
      () => MlsGroup.join({ suite, welcome: created.welcome!, keyPackage: kb, resumedFrom: bobV1 }),
      bobV1,
      /no ReInit/,
    );
    // a blob whose recorded ReInit is another proposal is malformed
    const blob = t.bob.serialize();
    const forged = blob.slice(0, blob.length - tail);
    const bogus = encodeBytes(proposalCodec, { proposalType: ProposalType.remove, removed: 0 });
    const bad = new Uint8Array([...forged, 1, ...bogus]);
    expect(() => MlsGroup.deserialize(bad)).toThrow(CodecError);
    // newer format versions are refused
    const v3 = blob.slice();
    new DataView(v3.buffer).setUint16(4, 3);
    expect(() => MlsGroup.deserialize(v3)).toThrow(CodecError);
  });
});
