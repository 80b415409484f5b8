/**
 * Receivers and valid messages for fuzzing `MlsGroup.process`, `ApqSession.process` and
 * `MlsGroup.join`, and the property every mutated message must satisfy: it is refused with a
 * typed error (CodecError / ValidationError / CryptoError / UsageError) and the receiver's state
 * is byte-for-byte what it was (its `serialize()` blob, hence epoch, epoch authenticator, pending
 * proposals, ratchet positions and retained keys), so that the valid original still processes.
 *
 * The receivers are prewarmed with one message from each sender of the epoch, so the sender
 * ratchets exist before fuzzing starts (creating them on first use is a benign state change).
 */
import {
  ApqSession,
  type ApqSessionOptions,
  decodeApqMessage,
  registerApqWireFormat,
} from "@hpqmls/pq-combiner";
import {
  type AuthenticatedContent,
  anyMessageCodec,
  basicCredential,
  type CipherSuite,
  type Commit,
  ContentType,
  CredentialType,
  decodeBytes,
  ExtensionType,
  encodeBytes,
  type FramedContent,
  framedContentCodec,
  generateKeyPackage,
  getCipherSuite,
  type KeyPackage,
  type KeyPackageBundle,
  keyPackageTBSCodec,
  type LeafNode,
  type LeafPosition,
  type MLSMessage,
  MlsGroup,
  mlsMessageCodec,
  type Proposal,
  type ProposalOrRef,
  ProposalType,
  ProtocolVersion,
  protectPublicMessage,
  requiredCapabilitiesCodec,
  SenderType,
  signFramedContent,
  signLeafNode,
  signWithLabel,
  utf8,
  WireFormat,
} from "../../src/index.js";
import {
  describeError,
  FuzzFailure,
  isAllowed,
  type Region,
  sameBytes,
  TYPED_ERRORS,
  toHexString,
  traceSites,
  type VarintSite,
} from "./arbitraries.js";

/** One valid message and what processing it yields. */
export interface ProcessCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly expect: string;
  readonly sites: readonly VarintSite[];
  /** Bytes the fuzzer must leave alone while a known defect is open (see process.test.ts). */
  readonly avoid?: Region;
}

export interface ProcessFixture {
  readonly name: string;
  readonly cases: readonly ProcessCase[];
  /** Processes a message at the receiver; returns the result's kind. */
  process(bytes: Uint8Array): Promise<string>;
  /** The receiver's complete state. */
  state(): Uint8Array;
  /** Epoch and epoch authenticator(s), for readable failure messages. */
  summary(): string;
  /** Processes a message at an independent copy of the receiver as it is now. */
  processOnCopy(bytes: Uint8Array): Promise<string>;
}

const suite = getCipherSuite(1);
const msgBytes = (m: MLSMessage) => encodeBytes(mlsMessageCodec, m);

async function client(name: string) {
  return {
    credential: basicCredential(utf8(name)),
    signatureKeyPair: await suite.signature.generateKeyPair(),
  };
}

function mlsCase(name: string, m: MLSMessage, expect: string): ProcessCase {
  const bytes = msgBytes(m);
  return { name, bytes, expect, sites: traceSites((r) => mlsMessageCodec.decode(r), bytes) };
}

/**
 * Bob's view of a three-member group (suite 0x0001) and messages of the current epoch from
 * Alice and Carol: application data, proposals and commits, as PublicMessage and PrivateMessage.
 */
export async function mlsFixture(): Promise<ProcessFixture & { insider: InsiderFixture }> {
  const [a, b, c, d] = await Promise.all(["alice", "bob", "carol", "dave"].map(client));
  const alice = await MlsGroup.create({ suite, ...a! });
  const kpB = await generateKeyPackage({ suite, ...b! });
  const kpC = await generateKeyPackage({ suite, ...c! });
  const kpD = await generateKeyPackage({ suite, ...d! });
  const res = await alice.commit({ add: [kpB.keyPackage, kpC.keyPackage] });
  await alice.merge(res.staged);
  const bob = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kpB });
  const carol = await MlsGroup.join({ suite, welcome: res.welcome!, keyPackage: kpC });
  // Prewarm Bob's ratchets for both senders.
  await bob.process(await alice.encrypt(utf8("warm-up a")));
  await bob.process(await carol.encrypt(utf8("warm-up c")));

  // Application data first: a member with pending proposals may not send any.
  const appA = await alice.encrypt(utf8("hello bob"));
  const appC = await carol.encrypt(utf8("hi"), utf8("aad"));
  const removeProposal = await alice.proposeRemove(2, { publicMessage: true });
  const publicUpdate = await carol.proposeUpdate({ publicMessage: true });
  const publicCommit = await alice.commit({ publicMessage: true, includePending: false });
  const byValue = await carol.commit({
    publicMessage: true,
    includePending: false,
    remove: [0],
    add: [kpD.keyPackage],
    groupContextExtensions: [
      {
        extensionType: ExtensionType.required_capabilities,
        extensionData: encodeBytes(requiredCapabilitiesCodec, {
          extensionTypes: [],
          proposalTypes: [],
          credentialTypes: [CredentialType.basic],
        }),
      },
    ],
  });
  const cases = [
    mlsCase("application (PrivateMessage)", appA, "application"),
    mlsCase("application with authenticated data (PrivateMessage)", appC, "application"),
    mlsCase("Remove proposal (PublicMessage)", removeProposal.message, "proposal"),
    mlsCase("Update proposal (PrivateMessage)", (await carol.proposeUpdate()).message, "proposal"),
    mlsCase("Update proposal (PublicMessage)", publicUpdate.message, "proposal"),
    mlsCase("commit with path (PublicMessage)", publicCommit.commit, "commit"),
    mlsCase("commit by value: Add, Remove, GCE (PublicMessage)", byValue.commit, "commit"),
    mlsCase(
      "commit with path (PrivateMessage)",
      (await carol.commit({ includePending: false })).commit,
      "commit",
    ),
    mlsCase(
      "commit adding a member (PrivateMessage)",
      (await alice.commit({ add: [kpD.keyPackage], includePending: false })).commit,
      "commit",
    ),
  ];
  const insiderCase = (name: string, m: MLSMessage, signer: MlsGroup): InsiderCase => {
    if (m.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
    const content = encodeBytes(framedContentCodec, m.publicMessage.content);
    // Mutations stay out of group_id, epoch and sender: the outside mutations cover those.
    const header = m.publicMessage.content.groupId.length + 1 + 8 + 5;
    return {
      name,
      content,
      sites: traceSites((r) => framedContentCodec.decode(r), content),
      avoid: { from: 0, to: header },
      signaturePrivateKey: signer.currentState.signaturePrivateKey,
      ...(m.publicMessage.auth.confirmationTag === undefined
        ? {}
        : { confirmationTag: m.publicMessage.auth.confirmationTag }),
    };
  };
  const keys = new Map(
    [a!, c!, d!].map((x) => [
      toHexString(x.signatureKeyPair.publicKey),
      x.signatureKeyPair.privateKey,
    ]),
  );
  const insider: InsiderFixture = {
    suite,
    keys,
    membershipKey: bob.currentState.secrets.membershipKey,
    groupContextBytes: bob.currentState.groupContextBytes,
    snapshot: bob.serialize(),
    cases: [
      insiderCase("Remove proposal", removeProposal.message, alice),
      insiderCase("Update proposal", publicUpdate.message, carol),
      insiderCase("commit with path", publicCommit.commit, alice),
      insiderCase("commit by value: Add, Remove, GCE", byValue.commit, carol),
    ],
  };
  return {
    name: "MlsGroup.process",
    insider,
    cases,
    process: async (bytes) => (await bob.process(bytes)).kind,
    state: () => bob.serialize(),
    summary: () => `epoch ${bob.epoch}, authenticator ${toHexString(bob.epochAuthenticator)}`,
    processOnCopy: async (bytes) =>
      (await MlsGroup.deserialize(bob.serialize()).process(bytes)).kind,
  };
}

function apqCase(name: string, bytes: Uint8Array, expect: string): ProcessCase {
  registerApqWireFormat();
  return { name, bytes, expect, sites: traceSites((r) => anyMessageCodec.decode(r), bytes) };
}

/** Where the T half of an APQMessagePair sits in its encoding. */
export function tHalfOf(pair: Uint8Array): Region {
  const m = decodeApqMessage(pair);
  if (m.kind !== "pair") throw new Error("expected a pair");
  return { from: 6, to: 6 + msgBytes(m.pair.t).length };
}

/**
 * Bob's view of an established APQ-MLS session with Alice (T 0x0001, PQ 0xF00A by default), and
 * Alice's messages of the current epochs: application data, PARTIAL and FULL commits, a T-only
 * Update and a FULL-request Update pair.
 */
export async function apqFixture(options: ApqSessionOptions = {}): Promise<ProcessFixture> {
  registerApqWireFormat();
  const ca = await ApqSession.newClient(basicCredential(utf8("alice")), options);
  const cb = await ApqSession.newClient(basicCredential(utf8("bob")), options);
  const alice = await ApqSession.create(ca, options);
  const kp = await ApqSession.keyPackagePair(cb, options);
  const add = await alice.fullCommit({ add: [alice.decodeKeyPackagePair(kp.message)] });
  await add.merge();
  const bob = await ApqSession.join(add.welcome!, { t: kp.t, pq: kp.pq }, options);
  const joinerFull = await bob.fullCommit();
  await alice.process(joinerFull.message);
  await joinerFull.merge();

  // Before any proposal of Alice's is pending (PARTIAL commits and application data need that).
  const partial = await alice.partialCommit();
  const app = await alice.encrypt(utf8("hello bob"));
  // Prewarm Bob's sender ratchets for Alice in both groups.
  await bob.process(await alice.encrypt(utf8("warm-up")));
  await bob.process(await alice.proposeUpdate({ full: true }));
  const full = await alice.fullCommit();
  const tUpdate = await alice.proposeUpdate();
  const fullUpdate = await alice.proposeUpdate({ full: true });
  const privateHandshakes = options.publicHandshakes !== true;
  const cases = [
    apqCase("application (T PrivateMessage)", app, "application"),
    apqCase("PARTIAL commit (T only)", partial.message, "commit"),
    apqCase("FULL commit (APQMessagePair)", full.message, "commit"),
    apqCase("T-only Update proposal", tUpdate, "proposal"),
    apqCase("FULL-request Update pair (APQMessagePair)", fullUpdate, "proposal"),
  ];
  const summary = () =>
    `T epoch ${bob.tEpoch} (${toHexString(bob.traditional.epochAuthenticator)}), ` +
    `PQ epoch ${bob.pqEpoch} (${toHexString(bob.postQuantum.epochAuthenticator)})`;
  return {
    name: `ApqSession.process${privateHandshakes ? "" : " (public handshakes)"}`,
    cases,
    process: async (bytes) => (await bob.process(bytes)).kind,
    state: () => bob.serialize(),
    summary,
    processOnCopy: async (bytes) =>
      (await ApqSession.deserialize(bob.serialize(), options).process(bytes)).kind,
  };
}

/**
 * The process property for one input: a message other than the original is refused with a
 * typed error and changes nothing.
 */
export async function checkProcess(
  f: ProcessFixture,
  c: ProcessCase,
  input: Uint8Array,
): Promise<void> {
  if (sameBytes(input, c.bytes)) return;
  const before = f.state();
  const summary = f.summary();
  let kind: string;
  try {
    kind = await f.process(input);
  } catch (e) {
    if (!isAllowed(e, TYPED_ERRORS))
      throw new FuzzFailure(`${f.name} / ${c.name}: untyped error ${describeError(e)}`, input, {
        cause: e,
      });
    if (f.summary() !== summary)
      throw new FuzzFailure(`${f.name} / ${c.name}: a refused message moved the epoch`, input);
    if (!sameBytes(f.state(), before))
      throw new FuzzFailure(
        `${f.name} / ${c.name}: a refused message (${describeError(e)}) changed the state`,
        input,
      );
    return;
  }
  throw new FuzzFailure(`${f.name} / ${c.name}: a mutated message was accepted as ${kind}`, input);
}

/** Every original still processes (each at a fresh copy of the receiver). */
export async function checkOriginals(f: ProcessFixture): Promise<void> {
  for (const c of f.cases) {
    let kind: string;
    try {
      kind = await f.processOnCopy(c.bytes);
    } catch (e) {
      throw new FuzzFailure(
        `${f.name} / ${c.name}: the valid original no longer processes: ${describeError(e)}`,
        c.bytes,
        { cause: e },
      );
    }
    if (kind !== c.expect)
      throw new FuzzFailure(`${f.name} / ${c.name}: processed as ${kind}, not ${c.expect}`);
  }
}

// ------------------------------------------------------------------ insider mutations

/**
 * A member's PublicMessage content, to be mutated and then signed and MACed again with the
 * member's real keys: what a malicious member can send. This gets past the signature and
 * membership-tag checks into proposal and commit validation, which outside mutations never reach.
 */
export interface InsiderCase {
  readonly name: string;
  /** The FramedContent, encoded. */
  readonly content: Uint8Array;
  readonly sites: readonly VarintSite[];
  /** The content's header (group_id, epoch, sender), left alone. */
  readonly avoid: Region;
  readonly signaturePrivateKey: Uint8Array;
  /** A commit's original tag (wrong for any mutated commit: processing runs, then fails). */
  readonly confirmationTag?: Uint8Array;
}

export interface InsiderFixture {
  readonly suite: CipherSuite;
  /** Signature private keys of the members and of the joiner, by public key (hex). */
  readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly membershipKey: Uint8Array;
  readonly groupContextBytes: Uint8Array;
  /** The receiver's state; every input goes to a fresh copy, since some are rightly accepted. */
  readonly snapshot: Uint8Array;
  readonly cases: readonly InsiderCase[];
}

async function resignLeaf(
  f: InsiderFixture,
  leaf: LeafNode,
  position: LeafPosition | undefined,
): Promise<LeafNode> {
  const key = f.keys.get(toHexString(leaf.signatureKey));
  if (key === undefined) return leaf;
  const { signature: _old, ...core } = leaf;
  return signLeafNode(f.suite, key, core, position);
}

async function resignKeyPackage(f: InsiderFixture, kp: KeyPackage): Promise<KeyPackage> {
  const key = f.keys.get(toHexString(kp.leafNode.signatureKey));
  if (key === undefined) return kp;
  const { signature: _old, ...tbs } = kp;
  const signed = { ...tbs, leafNode: await resignLeaf(f, kp.leafNode, undefined) };
  const signature = await signWithLabel(
    f.suite,
    key,
    "KeyPackageTBS",
    encodeBytes(keyPackageTBSCodec, signed),
  );
  return { ...signed, signature };
}

async function resignProposal(
  f: InsiderFixture,
  p: Proposal,
  position: LeafPosition | undefined,
): Promise<Proposal> {
  if (p.proposalType === ProposalType.add)
    return { ...p, keyPackage: await resignKeyPackage(f, p.keyPackage) };
  if (p.proposalType === ProposalType.update)
    return { ...p, leafNode: await resignLeaf(f, p.leafNode, position) };
  return p;
}

/**
 * Recomputes every inner signature made with a key the fuzzer knows (KeyPackages of Adds, leaves
 * of Updates and of the UpdatePath), so that mutations reach the checks behind them.
 */
async function resignInner(f: InsiderFixture, c: FramedContent): Promise<FramedContent> {
  const position =
    c.sender.senderType === SenderType.member
      ? { groupId: c.groupId, leafIndex: c.sender.leafIndex }
      : undefined;
  if (c.contentType === ContentType.proposal)
    return { ...c, proposal: await resignProposal(f, c.proposal, position) };
  if (c.contentType !== ContentType.commit) return c;
  const proposals: ProposalOrRef[] = [];
  for (const por of c.commit.proposals)
    proposals.push(
      por.type === 1 ? { ...por, proposal: await resignProposal(f, por.proposal, position) } : por,
    );
  const path = c.commit.path;
  const commit: Commit =
    path === undefined
      ? { proposals }
      : { proposals, path: { ...path, leafNode: await resignLeaf(f, path.leafNode, position) } };
  return { ...c, commit };
}

/**
 * Signs and protects mutated content as the member would; undefined if it does not decode (or
 * is the original again once re-signed).
 */
export async function insiderMessage(
  f: InsiderFixture,
  c: InsiderCase,
  content: Uint8Array,
  allowOriginal = false,
): Promise<Uint8Array | undefined> {
  let framed: FramedContent;
  try {
    framed = decodeBytes(framedContentCodec, content);
  } catch {
    return undefined; // the decoder suites cover undecodable content
  }
  if (framed.contentType === 1) return undefined; // application data is never a PublicMessage
  framed = await resignInner(f, framed);
  // A mutation of an inner signature the fuzzer recomputed is no mutation at all.
  if (!allowOriginal && sameBytes(encodeBytes(framedContentCodec, framed), c.content))
    return undefined;
  const wireFormat = WireFormat.mls_public_message;
  const signature = await signFramedContent(
    f.suite,
    c.signaturePrivateKey,
    wireFormat,
    framed,
    f.groupContextBytes,
  );
  const ac: AuthenticatedContent = {
    wireFormat,
    content: framed,
    auth:
      framed.contentType === 3
        ? { signature, confirmationTag: c.confirmationTag ?? new Uint8Array(32) }
        : { signature },
  };
  let publicMessage: Awaited<ReturnType<typeof protectPublicMessage>>;
  try {
    publicMessage = await protectPublicMessage(f.suite, ac, f.membershipKey, f.groupContextBytes);
  } catch {
    return undefined;
  }
  return encodeBytes(mlsMessageCodec, {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mls_public_message,
    publicMessage,
  });
}

/**
 * An authentic but mutated message: processed (a mutated proposal may be valid and accepted) or
 * refused with a typed error that changes nothing.
 */
export async function checkInsider(
  f: InsiderFixture,
  c: InsiderCase,
  content: Uint8Array,
): Promise<void> {
  if (sameBytes(content, c.content)) return;
  const bytes = await insiderMessage(f, c, content);
  if (bytes === undefined) return;
  const receiver = MlsGroup.deserialize(f.snapshot);
  try {
    await receiver.process(bytes);
  } catch (e) {
    if (!isAllowed(e, TYPED_ERRORS))
      throw new FuzzFailure(`insider ${c.name}: untyped error ${describeError(e)}`, bytes, {
        cause: e,
      });
    if (!sameBytes(receiver.serialize(), f.snapshot))
      throw new FuzzFailure(`insider ${c.name}: a refused message changed the state`, bytes);
  }
}

// ------------------------------------------------------------------ joining from a Welcome

export interface JoinFixture {
  readonly welcome: Uint8Array;
  readonly sites: readonly VarintSite[];
  readonly keyPackage: KeyPackageBundle;
  /** The epoch authenticator a join from the original Welcome yields. */
  readonly authenticator: string;
  /** The private keys of the KeyPackage, to check that a failed join does not touch them. */
  keys(): string;
}

function copyBundle(k: KeyPackageBundle): KeyPackageBundle {
  return {
    keyPackage: k.keyPackage,
    ref: k.ref,
    privateKeys: {
      initPrivateKey: k.privateKeys.initPrivateKey.slice(),
      encryptionPrivateKey: k.privateKeys.encryptionPrivateKey.slice(),
      signaturePrivateKey: k.privateKeys.signaturePrivateKey.slice(),
    },
  };
}

/** A Welcome for Bob into Alice's two-member group. */
export async function joinFixture(): Promise<JoinFixture> {
  const [a, b] = await Promise.all(["alice", "bob"].map(client));
  const alice = await MlsGroup.create({ suite, ...a! });
  const keyPackage = await generateKeyPackage({ suite, ...b! });
  const res = await alice.commit({ add: [keyPackage.keyPackage] });
  const welcome = msgBytes(res.welcome!);
  const joined = await MlsGroup.join({
    suite,
    welcome: res.welcome!,
    keyPackage: copyBundle(keyPackage),
  });
  const k = keyPackage.privateKeys;
  return {
    welcome,
    sites: traceSites((r) => mlsMessageCodec.decode(r), welcome),
    keyPackage,
    authenticator: toHexString(joined.epochAuthenticator),
    keys: () =>
      [k.initPrivateKey, k.encryptionPrivateKey, k.signaturePrivateKey].map(toHexString).join("/"),
  };
}

/** Joins with a copy of the fixture's KeyPackage (so a join cannot consume the original). */
export function joinWith(f: JoinFixture, welcome: Uint8Array, copy = false): Promise<MlsGroup> {
  return MlsGroup.join({
    suite,
    welcome: decodeBytes(mlsMessageCodec, welcome),
    keyPackage: copy ? copyBundle(f.keyPackage) : f.keyPackage,
  });
}

/**
 * A mutated Welcome is refused with a typed error and leaves the KeyPackage's keys intact. (The
 * Welcome itself is not authenticated: a mutation of what the joiner never reads, e.g. another
 * member's entry, may be accepted, but then it must yield the same group.)
 */
export async function checkJoin(f: JoinFixture, input: Uint8Array): Promise<void> {
  if (sameBytes(input, f.welcome)) return;
  const keys = f.keys();
  let g: MlsGroup;
  try {
    g = await joinWith(f, input);
  } catch (e) {
    if (!isAllowed(e, TYPED_ERRORS))
      throw new FuzzFailure(`MlsGroup.join: untyped error ${describeError(e)}`, input, {
        cause: e,
      });
    if (f.keys() !== keys)
      throw new FuzzFailure("MlsGroup.join: a refused Welcome changed the KeyPackage keys", input);
    return;
  }
  if (toHexString(g.epochAuthenticator) !== f.authenticator)
    throw new FuzzFailure(
      "MlsGroup.join: a mutated Welcome was accepted into another group",
      input,
    );
}
