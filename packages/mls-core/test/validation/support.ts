/**
 * Shared tools of the negative (validation, framing, extension) suites: groups of real members,
 * state snapshots, and a hostile committer that frames and signs commits the library itself would
 * refuse to create.
 */
import { expect } from "vitest";
import {
  type AuthenticatedContent,
  type Capabilities,
  type CipherSuite,
  type CommitOptions,
  type CommittedProposal,
  ContentType,
  type CreateCommitInput,
  CredentialType,
  computePskSecret,
  createCommit,
  decodeBytes,
  decryptWithLabel,
  defaultCapabilities,
  deriveWelcomeSecret,
  type Extension,
  encodeBytes,
  encodeGroupContext,
  encryptWithLabel,
  type FramedContent,
  type GroupConfig,
  type GroupInfo,
  type GroupSecrets,
  generateKeyPackage,
  getCipherSuite,
  groupInfoCodec,
  groupSecretsCodec,
  type KeyPackage,
  type KeyPackageBundle,
  type KeyPackageTBS,
  type KeyPair,
  keyPackageRef,
  keyPackageTBSCodec,
  type LeafNode,
  type LeafNodeTBSCore,
  type MLSMessage,
  MlsGroup,
  NO_PSKS,
  type Proposal,
  ProtocolVersion,
  type PskStore,
  protectPrivateMessage,
  protectPublicMessage,
  resolvePsks,
  type Sender,
  SenderType,
  type StagedCommit,
  signFramedContent,
  signGroupInfo,
  signLeafNode,
  signWithLabel,
  ValidationError,
  type Welcome,
  WireFormat,
  welcomeKeyAndNonce,
} from "../../src/index.js";
import { newClient, type TestClient } from "../helpers.js";

export const suite: CipherSuite = getCipherSuite(1);

export { newClient, type TestClient };

// ------------------------------------------------------------------ groups

export interface GroupSpec {
  /** Member names; the first creates the group and adds the others in one commit. */
  readonly names: readonly string[];
  readonly capabilities?: (name: string) => Capabilities;
  readonly leafExtensions?: (name: string) => Extension[];
  readonly keyPackageExtensions?: (name: string) => Extension[];
  readonly groupContextExtensions?: Extension[];
  readonly config?: Partial<GroupConfig>;
  /** Per-member configuration (overrides `config`). */
  readonly configOf?: (name: string) => Partial<GroupConfig>;
  readonly psks?: PskStore;
}

export interface Member {
  readonly name: string;
  readonly client: TestClient;
  readonly group: MlsGroup;
}

export interface TestGroup {
  readonly members: Member[];
  group(name: string): MlsGroup;
  client(name: string): TestClient;
  groups(): MlsGroup[];
}

export function kpFor(
  client: TestClient,
  o: {
    capabilities?: Capabilities;
    leafExtensions?: Extension[];
    extensions?: Extension[];
  } = {},
): Promise<KeyPackageBundle> {
  return generateKeyPackage({
    suite,
    credential: client.credential,
    signatureKeyPair: client.signatureKeyPair,
    ...(o.capabilities === undefined ? {} : { capabilities: o.capabilities }),
    ...(o.leafExtensions === undefined ? {} : { leafExtensions: o.leafExtensions }),
    ...(o.extensions === undefined ? {} : { extensions: o.extensions }),
  });
}

export async function buildGroup(spec: GroupSpec): Promise<TestGroup> {
  const clients = await Promise.all(spec.names.map((n) => newClient(suite, n)));
  const [first, ...rest] = spec.names;
  const creator = clients[0]!;
  const configFor = (n: string) =>
    spec.configOf === undefined ? spec.config : { ...spec.config, ...spec.configOf(n) };
  const g0 = await MlsGroup.create({
    suite,
    credential: creator.credential,
    signatureKeyPair: creator.signatureKeyPair,
    ...(spec.capabilities === undefined ? {} : { capabilities: spec.capabilities(first!) }),
    ...(spec.leafExtensions === undefined ? {} : { leafExtensions: spec.leafExtensions(first!) }),
    ...(spec.groupContextExtensions === undefined
      ? {}
      : { groupContextExtensions: spec.groupContextExtensions }),
    ...(configFor(first!) === undefined ? {} : { config: configFor(first!) }),
    ...(spec.psks === undefined ? {} : { psks: spec.psks }),
  });
  const members: Member[] = [{ name: first!, client: creator, group: g0 }];
  if (rest.length > 0) {
    const kps = await Promise.all(
      rest.map((n, i) =>
        kpFor(clients[i + 1]!, {
          ...(spec.capabilities === undefined ? {} : { capabilities: spec.capabilities(n) }),
          ...(spec.leafExtensions === undefined ? {} : { leafExtensions: spec.leafExtensions(n) }),
          ...(spec.keyPackageExtensions === undefined
            ? {}
            : { extensions: spec.keyPackageExtensions(n) }),
        }),
      ),
    );
    const res = await g0.commit({ add: kps.map((k) => k.keyPackage) });
    await g0.merge(res.staged);
    for (let i = 0; i < rest.length; i++) {
      const group = await MlsGroup.join({
        suite,
        welcome: res.welcome!,
        keyPackage: kps[i]!,
        ...(configFor(rest[i]!) === undefined ? {} : { config: configFor(rest[i]!) }),
        ...(spec.psks === undefined ? {} : { psks: spec.psks }),
      });
      members.push({ name: rest[i]!, client: clients[i + 1]!, group });
    }
  }
  const byName = (n: string) => {
    const m = members.find((x) => x.name === n);
    if (m === undefined) throw new Error(`no member ${n}`);
    return m;
  };
  return {
    members,
    group: (n) => byName(n).group,
    client: (n) => byName(n).client,
    groups: () => members.map((m) => m.group),
  };
}

/** Capabilities listing extra non-default extension and proposal types. */
export function capabilitiesWith(extensions: number[], proposals: number[] = []): Capabilities {
  return {
    ...defaultCapabilities(suite),
    extensions,
    proposals,
    credentials: [CredentialType.basic, CredentialType.x509],
  };
}

// ------------------------------------------------------------------ state checks

export interface Snapshot {
  readonly epoch: bigint;
  readonly authenticator: Uint8Array;
  readonly groupContext: Uint8Array;
  readonly treeHash: Uint8Array;
  readonly pending: number;
  readonly members: number;
}

export async function snapshot(g: MlsGroup): Promise<Snapshot> {
  return {
    epoch: g.epoch,
    authenticator: g.epochAuthenticator.slice(),
    groupContext: encodeGroupContext(g.groupContext),
    treeHash: await g.ratchetTree.treeHash(suite),
    pending: g.pendingProposals().length,
    members: g.members().length,
  };
}

export async function expectUnchanged(g: MlsGroup, s: Snapshot): Promise<void> {
  expect(g.isActive).toBe(true);
  expect(g.epoch).toBe(s.epoch);
  expect(g.epochAuthenticator).toEqual(s.authenticator);
  expect(encodeGroupContext(g.groupContext)).toEqual(s.groupContext);
  expect(await g.ratchetTree.treeHash(suite)).toEqual(s.treeHash);
  expect(g.pendingProposals().length).toBe(s.pending);
  expect(g.members().length).toBe(s.members);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Awaits a rejection of class `cls` (and, for a ValidationError, `rule`) and returns it. */
export async function rejects(
  p: Promise<unknown>,
  cls: ErrorClass,
  rule?: string | RegExp,
): Promise<Error> {
  let err: unknown;
  let resolved = false;
  try {
    await p;
    resolved = true;
  } catch (e) {
    err = e;
  }
  expect(resolved, "expected a rejection, the promise resolved").toBe(false);
  expect(err, `expected ${cls.name}, got ${String(err)}`).toBeInstanceOf(cls);
  if (rule !== undefined) {
    expect(err).toBeInstanceOf(ValidationError);
    if (typeof rule === "string") expect((err as ValidationError).rule).toBe(rule);
    else expect((err as ValidationError).rule).toMatch(rule);
  }
  return err as Error;
}

/** `g.process(msg)` is refused with the given error and leaves `g` exactly as it was. */
export async function expectRefused(
  g: MlsGroup,
  msg: MLSMessage | Uint8Array,
  cls: ErrorClass,
  rule?: string | RegExp,
): Promise<Error> {
  const before = await snapshot(g);
  const err = await rejects(g.process(msg), cls, rule);
  await expectUnchanged(g, before);
  return err;
}

/**
 * The group still works: `committer` sends an ordinary commit (no pending proposals) that every
 * other group processes and merges, all agree on the new epoch, and an application message from
 * the committer decrypts everywhere.
 */
export async function expectHealthy(committer: MlsGroup, others: readonly MlsGroup[]) {
  const epoch = committer.epoch;
  const res = await committer.commit({ includePending: false });
  for (const g of others) {
    const r = await g.process(res.commit);
    expect(r.kind).toBe("commit");
    if (r.kind === "commit") await g.merge(r.staged);
  }
  await committer.merge(res.staged);
  for (const g of [committer, ...others]) {
    expect(g.epoch).toBe(epoch + 1n);
    expect(g.epochAuthenticator).toEqual(committer.epochAuthenticator);
  }
  const text = new TextEncoder().encode(`alive at ${committer.epoch}`);
  const m = await committer.encrypt(text);
  for (const g of others) {
    const r = await g.process(m);
    expect(r.kind === "application" && r.data).toEqual(text);
  }
}

/**
 * `committer` commits with `o`; every other member processes and merges it, then the committer
 * merges. Returns the staged commit each receiver got, by name.
 */
export async function commitAll(
  t: TestGroup,
  committer: string,
  o: CommitOptions = {},
): Promise<Map<string, StagedCommit>> {
  const res = await t.group(committer).commit(o);
  const out = new Map<string, StagedCommit>();
  for (const m of t.members) {
    if (m.name === committer || !m.group.isActive) continue;
    const r = await m.group.process(res.commit);
    if (r.kind !== "commit") throw new Error(`${m.name} got ${r.kind}`);
    out.set(m.name, r.staged);
    await m.group.merge(r.staged);
  }
  await t.group(committer).merge(res.staged);
  out.set(committer, res.staged);
  return out;
}

// ------------------------------------------------------------------ hostile committer

/** One entry of a crafted commit: a proposal by value, or a reference to a pending one. */
export type CraftItem =
  | { readonly value: Proposal }
  | { readonly ref: Uint8Array; readonly proposal: Proposal; readonly sender: Sender };

export interface CraftOptions {
  /** Include an UpdatePath (default true). `false` forces a hand-made commit without one. */
  readonly path?: boolean;
  /** PSK values for the committer. */
  readonly psks?: PskStore;
  /**
   * While `on`, the test's mock of `validateProposalList` lets every list through, so the
   * committer can build a complete commit (path, new epoch, confirmation tag) from a list that
   * breaks a rule. Tests that mock the module pass their switch here.
   */
  readonly bypass?: { on: boolean };
  /** Change the signed content (it is re-signed; the confirmation tag is kept). */
  readonly mutate?: (content: FramedContent) => FramedContent | Promise<FramedContent>;
  readonly privateMessage?: boolean;
  readonly authenticatedData?: Uint8Array;
}

export interface Crafted {
  readonly message: MLSMessage;
  /**
   * True if the committer built the whole epoch (its confirmation tag is right): only the rule
   * under test can make receivers refuse it. False for a hand-made commit with a dummy tag.
   */
  readonly genuine: boolean;
}

/**
 * A commit from `g`'s member over exactly `items`, signed and protected with `g`'s keys. The
 * committer's own state does not change (nothing is merged).
 */
export async function craftCommit(
  g: MlsGroup,
  items: readonly CraftItem[],
  o: CraftOptions = {},
): Promise<Crafted> {
  const state = g.currentState;
  const me: Sender = { senderType: SenderType.member, leafIndex: state.myLeaf };
  const wireFormat = o.privateMessage
    ? WireFormat.mls_private_message
    : WireFormat.mls_public_message;
  const authenticatedData = o.authenticatedData ?? new Uint8Array(0);
  let ac: AuthenticatedContent | undefined;
  if (o.path !== false) {
    const input: CreateCommitInput = {
      proposals: items.map((i) =>
        "ref" in i
          ? { byReference: i.ref, proposal: { proposal: i.proposal, sender: i.sender } }
          : { byValue: { proposal: i.value, sender: me } satisfies CommittedProposal },
      ),
      forcePath: true,
      wireFormat,
      authenticatedData,
      ratchetTreeInWelcome: true,
      groupInfo: false,
    };
    const runtime = {
      config: g.config,
      resolvePsks: (ids: Parameters<typeof resolvePsks>[0]) =>
        resolvePsks(ids, o.psks ?? NO_PSKS, () => undefined),
    };
    if (o.bypass !== undefined) o.bypass.on = true;
    try {
      ac = (await createCommit(state, runtime, input)).authContent;
    } catch {
      ac = undefined;
    } finally {
      if (o.bypass !== undefined) o.bypass.on = false;
    }
  }
  const genuine = ac !== undefined && o.mutate === undefined;
  let content: FramedContent =
    ac?.content ??
    ({
      groupId: state.groupContext.groupId,
      epoch: state.groupContext.epoch,
      sender: me,
      authenticatedData,
      contentType: ContentType.commit,
      commit: {
        proposals: items.map((i) =>
          "ref" in i
            ? { type: 2 as const, reference: i.ref }
            : { type: 1 as const, proposal: i.value },
        ),
      },
    } satisfies FramedContent);
  if (o.mutate !== undefined) content = await o.mutate(content);
  const signature =
    ac !== undefined && o.mutate === undefined
      ? ac.auth.signature
      : await signFramedContent(
          suite,
          state.signaturePrivateKey,
          wireFormat,
          content,
          state.groupContextBytes,
        );
  const confirmationTag = ac?.auth.confirmationTag ?? suite.randomBytes(suite.hash.size);
  const signed: AuthenticatedContent = {
    wireFormat,
    content,
    auth: { signature, confirmationTag },
  };
  return { message: await protect(g, signed), genuine };
}

/** Protects signed content with `g`'s current keys (membership tag or encryption). */
export async function protect(g: MlsGroup, ac: AuthenticatedContent): Promise<MLSMessage> {
  const s = g.currentState;
  if (ac.wireFormat === WireFormat.mls_public_message)
    return {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: await protectPublicMessage(
        suite,
        ac,
        s.secrets.membershipKey,
        s.groupContextBytes,
      ),
    };
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mls_private_message,
    privateMessage: await protectPrivateMessage(
      suite,
      ac,
      s.secretTree,
      s.secrets.senderDataSecret,
    ),
  };
}

/** Re-signs (with `signer`'s key and `g`'s context) and re-protects a PublicMessage of `g`. */
export async function resignPublic(
  g: MlsGroup,
  msg: MLSMessage,
  mutate: (c: FramedContent) => FramedContent,
  signer: KeyPair | undefined = undefined,
): Promise<MLSMessage> {
  if (msg.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
  const s = g.currentState;
  const content = mutate(msg.publicMessage.content);
  const signature = await signFramedContent(
    suite,
    signer?.privateKey ?? s.signaturePrivateKey,
    WireFormat.mls_public_message,
    content,
    s.groupContextBytes,
  );
  return protect(g, {
    wireFormat: WireFormat.mls_public_message,
    content,
    auth: { ...msg.publicMessage.auth, signature },
  });
}

/** A proposal from an `external` sender (§12.1.8), signed with `key`. */
export async function externalProposal(
  g: MlsGroup,
  senderIndex: number,
  key: KeyPair,
  proposal: Proposal,
): Promise<MLSMessage> {
  const content: FramedContent = {
    groupId: g.groupId,
    epoch: g.epoch,
    sender: { senderType: SenderType.external, senderIndex },
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.proposal,
    proposal,
  };
  const signature = await signFramedContent(
    suite,
    key.privateKey,
    WireFormat.mls_public_message,
    content,
    undefined,
  );
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mls_public_message,
    publicMessage: { content, auth: { signature } },
  };
}

// ------------------------------------------------------------------ hand-made objects

/** A KeyPackage with some fields changed, signed again with `signaturePrivateKey`. */
export async function resignKeyPackage(
  kp: KeyPackage,
  signaturePrivateKey: Uint8Array,
  change: Partial<KeyPackageTBS> = {},
): Promise<KeyPackage> {
  const tbs: KeyPackageTBS = {
    version: change.version ?? kp.version,
    cipherSuite: change.cipherSuite ?? kp.cipherSuite,
    initKey: change.initKey ?? kp.initKey,
    leafNode: change.leafNode ?? kp.leafNode,
    extensions: change.extensions ?? kp.extensions,
  };
  const signature = await signWithLabel(
    suite,
    signaturePrivateKey,
    "KeyPackageTBS",
    encodeBytes(keyPackageTBSCodec, tbs),
  );
  return { ...tbs, signature };
}

/** The LeafNode fields a test may change before signing it again. */
export function leafCore(leaf: LeafNode): LeafNodeTBSCore {
  const { signature: _s, ...core } = leaf;
  return core as LeafNodeTBSCore;
}

/** Signs a LeafNode (with its position for `update` and `commit` sources). */
export function signLeaf(
  signaturePrivateKey: Uint8Array,
  core: LeafNodeTBSCore,
  position?: { groupId: Uint8Array; leafIndex: number },
): Promise<LeafNode> {
  return signLeafNode(suite, signaturePrivateKey, core, position);
}

/** A KeyPackage whose leaf is signed from `core` (key_package source) by `signer`. */
export async function keyPackageWithLeaf(
  base: KeyPackage,
  signer: KeyPair,
  core: Partial<LeafNodeTBSCore>,
): Promise<KeyPackage> {
  const leafNode = await signLeaf(signer.privateKey, {
    ...leafCore(base.leafNode),
    ...core,
  } as LeafNodeTBSCore);
  return resignKeyPackage(base, signer.privateKey, { leafNode });
}

// ------------------------------------------------------------------ Welcome surgery

/**
 * Opens a Welcome as its recipient, lets `edit` change the GroupInfo (re-signed by `signer`) and
 * the GroupSecrets, and seals it again for the same KeyPackage. Only Welcomes without PSKs.
 */
/** The GroupSecrets a Welcome carries for `kp`, decrypted as its recipient would. */
export async function groupSecretsFor(
  welcome: Welcome,
  kp: KeyPackageBundle,
): Promise<GroupSecrets> {
  const ref = await keyPackageRef(suite, kp.keyPackage);
  const entry = welcome.secrets.find((s) => bytesEq(s.newMember, ref));
  if (entry === undefined) throw new Error("the Welcome is not for this KeyPackage");
  return decodeBytes(
    groupSecretsCodec,
    await decryptWithLabel(
      suite,
      kp.privateKeys.initPrivateKey,
      kp.keyPackage.initKey,
      "Welcome",
      welcome.encryptedGroupInfo,
      entry.encryptedGroupSecrets.kemOutput,
      entry.encryptedGroupSecrets.ciphertext,
    ),
  );
}

export async function rewriteWelcome(
  welcome: Welcome,
  kp: KeyPackageBundle,
  signer: KeyPair,
  edit: {
    groupInfo?: (gi: GroupInfo) => GroupInfo | Promise<GroupInfo>;
    groupSecrets?: (gs: GroupSecrets) => GroupSecrets;
  },
): Promise<Welcome> {
  const ref = await keyPackageRef(suite, kp.keyPackage);
  const gs = await groupSecretsFor(welcome, kp);
  const welcomeSecret = await deriveWelcomeSecret(
    suite,
    gs.joinerSecret,
    await computePskSecret(suite, []),
  );
  const { key, nonce } = await welcomeKeyAndNonce(suite, welcomeSecret);
  const gi = decodeBytes(
    groupInfoCodec,
    await suite.aead.open(key, nonce, new Uint8Array(0), welcome.encryptedGroupInfo),
  );
  const edited = (await edit.groupInfo?.(gi)) ?? gi;
  const resigned = await signGroupInfo(suite, signer.privateKey, {
    groupContext: edited.groupContext,
    extensions: edited.extensions,
    confirmationTag: edited.confirmationTag,
    signer: edited.signer,
  });
  const encryptedGroupInfo = await suite.aead.seal(
    key,
    nonce,
    new Uint8Array(0),
    encodeBytes(groupInfoCodec, resigned),
  );
  const gs2 = edit.groupSecrets?.(gs) ?? gs;
  const ct = await encryptWithLabel(
    suite,
    kp.keyPackage.initKey,
    "Welcome",
    encryptedGroupInfo,
    encodeBytes(groupSecretsCodec, gs2),
  );
  return {
    cipherSuite: welcome.cipherSuite,
    secrets: [{ newMember: ref, encryptedGroupSecrets: ct }],
    encryptedGroupInfo,
  };
}

/** The pending proposal of `g` with reference `ref`. */
export function pendingOf(g: MlsGroup, ref: Uint8Array): Proposal {
  const p = g.pendingProposals().find((x) => bytesEq(x.ref, ref));
  if (p === undefined) throw new Error("not pending");
  return p.proposal;
}

export function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function welcomeOf(m: MLSMessage | undefined): Welcome {
  if (m === undefined || m.wireFormat !== WireFormat.mls_welcome) throw new Error("no Welcome");
  return m.welcome;
}
