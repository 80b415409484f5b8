/**
 * The decoder targets of the fuzz suites and their valid samples. Every sample comes from real
 * objects built through the public API (groups, KeyPackages, commits, Welcomes, GroupInfos, an
 * APQ-MLS session with ML-KEM/ML-DSA keys, so that 1-, 2- and 4-byte length headers all occur),
 * or from hand-made values of the structures a group never emits on its own.
 *
 * Every wire `*Codec` exported by `src/index.ts` (with `decode`), the content-type-dependent
 * decode functions of src/wire/framing.ts, the parse functions of src/extensions, the codec
 * primitives, `MlsGroup.deserialize`, and the combiner's decoders are covered; decoders.test.ts
 * checks that against the package exports.
 */
import {
  type ApqInfoUpdate,
  ApqSession,
  ApqUpdateType,
  apqInfoCodec,
  apqInfoUpdateCodec,
  apqMessagePairCodec,
  decodeApqMessage,
  encodeMessagePair,
  registerApqWireFormat,
} from "@hpqmls/pq-combiner";
import {
  AppDataUpdateOperation,
  anyMessageCodec,
  appAckCodec,
  appDataDictionaryCodec,
  appDataDictionaryExtension,
  applicationFramingCodec,
  applicationIdCodec,
  authenticatedContentCodec,
  basicCredential,
  bool,
  type Capabilities,
  type Codec,
  CodecError,
  ComponentId,
  type ContentBody,
  type Credential,
  type CredentialBinding,
  CredentialType,
  capabilitiesCodec,
  commitCodec,
  componentsListCodec,
  concat,
  contentMediaTypesEntry,
  createCredentialBinding,
  credentialBindingCodec,
  credentialCodec,
  decodeAuthData,
  decodeContentBody,
  decodePrivateMessageContent,
  ExtCredentialType,
  type Extension,
  ExtProposalType,
  ExtPSKType,
  encodeAuthData,
  encodeBytes,
  encodeContentBody,
  encodePrivateMessageContent,
  encodeSafeAAD,
  encryptedGroupSecretsCodec,
  extensionCodec,
  extensionsCodec,
  externalPubCodec,
  externalSenderCodec,
  externalSendersCodec,
  extType,
  type FramedContentAuthData,
  frameApplicationData,
  framedContentCodec,
  framedContentTBSCodec,
  type GroupInfo,
  generateKeyPackage,
  getCipherSuite,
  groupContextCodec,
  groupInfoCodec,
  groupInfoTBSCodec,
  groupSecretsCodec,
  hpkeCiphertextCodec,
  type KeyPackage,
  keyPackageBundleCodec,
  keyPackageCodec,
  keyPackageTBSCodec,
  type LeafNode,
  leafNodeCodec,
  leafNodeTBSCodec,
  type MLSMessage,
  MlsGroup,
  mediaTypeCodec,
  mediaTypeListCodec,
  mlsMessageCodec,
  type Node,
  NodeType,
  nodeCodec,
  opaque,
  optionalOf,
  type PreSharedKeyID,
  type Proposal,
  ProposalType,
  ProtocolVersion,
  PSKType,
  type PublicMessage,
  parentNodeCodec,
  parseAppAck,
  parseApplicationData,
  parseSafeAAD,
  preSharedKeyIDCodec,
  privateContentAADCodec,
  privateMessageCodec,
  proposalCodec,
  proposalOrRefCodec,
  pskLabelCodec,
  publicMessageCodec,
  type RatchetTreeNodes,
  type Reader,
  ResumptionPSKUsage,
  ratchetTreeCodec,
  ratchetTreeFromExtensions,
  readVarint,
  reInitCodec,
  requiredCapabilitiesCodec,
  type Sender,
  SenderType,
  safeAADCodec,
  senderCodec,
  senderDataAADCodec,
  senderDataCodec,
  toLeafIndex,
  UsageError,
  uint32,
  uint64,
  updatePathCodec,
  updatePathNodeCodec,
  utf8,
  ValidationError,
  validateAppDataDictionary,
  vectorOf,
  type Welcome,
  WireFormat,
  Writer,
  welcomeCodec,
  wireFormatsCodec,
} from "../../src/index.js";
import { codecTarget, type DecoderTarget, functionTarget } from "./arbitraries.js";

const suite = getCipherSuite(1);

/** Deterministic filler bytes (the samples need not be random, only well-formed). */
function filler(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function client(name: string, credential?: Credential) {
  return {
    credential: credential ?? basicCredential(utf8(name)),
    signatureKeyPair: await suite.signature.generateKeyPair(),
  };
}

const msgBytes = (m: MLSMessage) => encodeBytes(mlsMessageCodec, m);

function publicOf(m: MLSMessage): PublicMessage {
  if (m.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
  return m.publicMessage;
}

function welcomeOf(m: MLSMessage): Welcome {
  if (m.wireFormat !== WireFormat.mls_welcome) throw new Error("not a Welcome");
  return m.welcome;
}

function groupInfoOf(m: MLSMessage): GroupInfo {
  if (m.wireFormat !== WireFormat.mls_group_info) throw new Error("not a GroupInfo");
  return m.groupInfo;
}

function keyPackageMessage(kp: KeyPackage): MLSMessage {
  return { version: ProtocolVersion.mls10, wireFormat: WireFormat.mls_key_package, keyPackage: kp };
}

/** Codecs for the decode functions that take the content type as a parameter. */
function contentBodyCodec(ct: number): Codec<ContentBody> {
  return { encode: encodeContentBody, decode: (r: Reader) => decodeContentBody(r, ct) };
}
function authDataCodec(ct: number): Codec<FramedContentAuthData> {
  return {
    encode: (w, v) => encodeAuthData(w, v, ct),
    decode: (r: Reader) => decodeAuthData(r, ct),
  };
}
function privateContentCodec(ct: number) {
  return {
    encode: encodePrivateMessageContent,
    decode: (r: Reader) => decodePrivateMessageContent(r, ct),
  } satisfies Codec<ReturnType<typeof decodePrivateMessageContent>>;
}

/** A Credential nested `depth` multi-credentials deep, written directly (linear time). */
export function nestedMultiCredential(depth: number): Uint8Array {
  const inner = encodeBytes(credentialCodec, basicCredential(utf8("x")));
  // Level i (outermost 0): u16 type, varint len, [u16 suite, <child>, opaque key, opaque sig].
  const lengths: number[] = new Array(depth + 1);
  lengths[depth] = inner.length;
  const headerSize = (n: number) => (n < 0x40 ? 1 : n < 0x4000 ? 2 : 4);
  for (let i = depth - 1; i >= 0; i--) {
    const body = 2 + lengths[i + 1]! + 2;
    lengths[i] = 2 + headerSize(body) + body;
  }
  const out = new Writer(lengths[0]!);
  for (let i = 0; i < depth; i++) {
    out.u16(ExtCredentialType.multi);
    out.varint(2 + lengths[i + 1]! + 2);
    out.u16(1);
  }
  out.raw(inner);
  for (let i = 0; i < depth; i++) {
    out.opaque(new Uint8Array(0));
    out.opaque(new Uint8Array(0));
  }
  return out.finish();
}

interface Material {
  readonly mls: MLSMessage[];
  readonly apqPairs: Uint8Array[];
  readonly apqPlain: Uint8Array[];
  readonly apqInfos: Uint8Array[];
  readonly state: Uint8Array[];
  readonly apqState: Uint8Array[];
  readonly keyPackages: KeyPackage[];
  readonly groupInfos: GroupInfo[];
  readonly welcomes: Welcome[];
  readonly trees: RatchetTreeNodes[];
  readonly publics: PublicMessage[];
  readonly updateLeaf: LeafNode;
  readonly commitLeaf: LeafNode;
  readonly credentials: Credential[];
  readonly bindings: CredentialBinding[];
  readonly groupContextBytes: Uint8Array;
}

async function buildMaterial(): Promise<Material> {
  // ---- an RFC 9420 group of three (suite 0x0001), plus dave's KeyPackages
  const [a, b, c] = await Promise.all(["alice", "bob", "carol"].map((n) => client(n)));
  const alice = await MlsGroup.create({ suite, ...a! });
  const kpB = await generateKeyPackage({ suite, ...b! });
  const kpC = await generateKeyPackage({ suite, ...c! });
  const first = await alice.commit({ add: [kpB.keyPackage, kpC.keyPackage] });
  await alice.merge(first.staged);
  const bob = await MlsGroup.join({ suite, welcome: first.welcome!, keyPackage: kpB });
  const carol = await MlsGroup.join({ suite, welcome: first.welcome!, keyPackage: kpC });

  // Multi-credentials (draft-ietf-mls-extensions §4.5), bound to dave's signature key.
  const dave = await client("dave");
  const credKey = await suite.signature.generateKeyPair();
  const binding = await createCredentialBinding({
    suite,
    credential: basicCredential(utf8("dave@example")),
    credentialKeyPair: credKey,
    leafSignatureKey: dave.signatureKeyPair.publicKey,
  });
  const x509: Credential = {
    credentialType: CredentialType.x509,
    certificates: [filler(90, 1), filler(300, 2)],
  };
  const binding2: CredentialBinding = { ...binding, credential: x509, cipherSuite: 0x0a0a };
  const multi: Credential = {
    credentialType: ExtCredentialType.multi,
    bindings: [binding, binding2],
  };
  const weak: Credential = { credentialType: ExtCredentialType.weak_multi, bindings: [binding] };
  const nested: Credential = {
    credentialType: ExtCredentialType.multi,
    bindings: [{ ...binding, credential: weak }],
  };
  const multiCaps: Capabilities = {
    versions: [1],
    cipherSuites: [1, 0x0a0a],
    extensions: [],
    proposals: [ExtProposalType.self_remove],
    credentials: [1, 2, ExtCredentialType.multi, ExtCredentialType.weak_multi],
  };
  const kpD = await generateKeyPackage({ suite, ...dave });
  const kpMulti = await generateKeyPackage({
    suite,
    credential: multi,
    signatureKeyPair: dave.signatureKeyPair,
    capabilities: multiCaps,
  });

  // Messages of every kind.
  const app = await bob.encrypt(utf8("hello"), utf8("aad"));
  const pubRemove = (await bob.proposeRemove(2, { publicMessage: true })).message;
  const privUpdate = (await carol.proposeUpdate()).message;
  const pubUpdate = (await carol.proposeUpdate({ publicMessage: true })).message;
  const pubCommit = (await carol.commit({ publicMessage: true, includePending: false })).commit;
  const added = await alice.commit({ add: [kpD.keyPackage], groupInfo: true });
  const gi = await alice.groupInfo();

  const pubCommitMsg = publicOf(pubCommit);
  const updateProposal = publicOf(pubUpdate).content;
  if (updateProposal.contentType !== 2 || updateProposal.proposal.proposalType !== 2)
    throw new Error("expected an Update proposal");
  const tree = alice.ratchetTree.toNodes();
  const commitLeaf = alice.ratchetTree.leaf(toLeafIndex(0))!;

  // ---- an APQ-MLS session (T 0x0001, PQ 0xF00A: ML-KEM-768 + ML-DSA-65) of two members
  const ca = await ApqSession.newClient(basicCredential(utf8("alice")));
  const cb = await ApqSession.newClient(basicCredential(utf8("bob")));
  const sa = await ApqSession.create(ca);
  const kpPair = await ApqSession.keyPackagePair(cb);
  const full = await sa.fullCommit({ add: [sa.decodeKeyPackagePair(kpPair.message)] });
  await full.merge();
  const sb = await ApqSession.join(full.welcome!, { t: kpPair.t, pq: kpPair.pq });
  const giPair = await sa.groupInfoPair();
  const updPair = await sa.proposeUpdate({ full: true });
  const appT = await sb.encrypt(utf8("over T"));
  const partial = await sb.partialCommit();
  const pairs = [full.message, full.welcome!, kpPair.message, giPair, updPair];
  const halves: MLSMessage[] = [];
  for (const p of pairs) {
    const d = decodeApqMessage(p);
    if (d.kind === "pair") halves.push(d.pair.t, d.pair.pq);
  }
  const pqTree = sa.postQuantum.ratchetTree.toNodes();
  const pqGroupInfo = groupInfoOf(halves.find((h) => h.wireFormat === WireFormat.mls_group_info)!);
  const pqWelcome = welcomeOf(halves.filter((h) => h.wireFormat === WireFormat.mls_welcome)[1]!);

  const mls = [
    app,
    pubRemove,
    privUpdate,
    pubUpdate,
    pubCommit,
    added.commit,
    added.welcome!,
    added.groupInfo!,
    keyPackageMessage(kpD.keyPackage),
    keyPackageMessage(kpMulti.keyPackage),
    ...halves,
  ];
  return {
    mls,
    apqPairs: pairs,
    apqPlain: [appT, partial.message],
    apqInfos: [encodeBytes(apqInfoCodec, sa.apqInfo)],
    state: [bob.serialize()],
    apqState: [sb.serialize()],
    keyPackages: [kpD.keyPackage, kpMulti.keyPackage, kpPair.pq.keyPackage],
    groupInfos: [gi, groupInfoOf(added.groupInfo!), pqGroupInfo],
    welcomes: [welcomeOf(added.welcome!), pqWelcome],
    trees: [tree, pqTree],
    publics: [publicOf(pubRemove), publicOf(pubUpdate), pubCommitMsg],
    updateLeaf: updateProposal.proposal.leafNode,
    commitLeaf,
    credentials: [basicCredential(utf8("alice")), x509, multi, weak, nested],
    bindings: [binding, binding2],
    groupContextBytes: encodeBytes(groupContextCodec, alice.groupContext),
  };
}

const enc =
  <T>(codec: Codec<T>) =>
  (values: readonly T[]): Uint8Array[] =>
    values.map((v) => encodeBytes(codec, v));

function psks(): PreSharedKeyID[] {
  return [
    { psktype: PSKType.external, pskId: utf8("external psk"), pskNonce: filler(32, 3) },
    {
      psktype: PSKType.resumption,
      usage: ResumptionPSKUsage.application,
      pskGroupId: filler(16, 4),
      pskEpoch: 7n,
      pskNonce: filler(32, 5),
    },
    {
      psktype: ExtPSKType.application,
      componentId: 0x0006,
      pskId: filler(32, 6),
      pskNonce: filler(32, 7),
    },
  ];
}

function extensionSamples(m: Material): Extension[] {
  return [
    ...m.groupInfos[0]!.extensions,
    {
      extensionType: 3,
      extensionData: encodeBytes(requiredCapabilitiesCodec, {
        extensionTypes: [6],
        proposalTypes: [8, 9],
        credentialTypes: [1],
      }),
    },
    appDataDictionaryExtension([
      { componentId: ComponentId.app_components, data: encodeBytes(componentsListCodec, [1, 6]) },
    ]),
    { extensionType: 0x3a3a, extensionData: filler(5, 8) },
  ];
}

function proposalSamples(m: Material): Proposal[] {
  const [ext, res, appPsk] = psks();
  return [
    { proposalType: ProposalType.add, keyPackage: m.keyPackages[0]! },
    { proposalType: ProposalType.update, leafNode: m.updateLeaf },
    { proposalType: ProposalType.remove, removed: 2 },
    { proposalType: ProposalType.psk, psk: ext! },
    { proposalType: ProposalType.psk, psk: res! },
    { proposalType: ProposalType.psk, psk: appPsk! },
    {
      proposalType: ProposalType.reinit,
      groupId: filler(16, 9),
      version: 1,
      cipherSuite: 3,
      extensions: extensionSamples(m).slice(2),
    },
    { proposalType: ProposalType.external_init, kemOutput: filler(32, 10) },
    { proposalType: ProposalType.group_context_extensions, extensions: extensionSamples(m) },
    {
      proposalType: ExtProposalType.app_data_update,
      componentId: 6,
      op: AppDataUpdateOperation.update,
      update: filler(20, 11),
    },
    {
      proposalType: ExtProposalType.app_data_update,
      componentId: 6,
      op: AppDataUpdateOperation.remove,
    },
    { proposalType: ExtProposalType.app_ephemeral, componentId: 5, data: filler(12, 12) },
    { proposalType: ExtProposalType.self_remove },
  ];
}

const MEDIA_GROUP_EXTENSIONS: Extension[] = [
  appDataDictionaryExtension([
    contentMediaTypesEntry([{ type: utf8("text/plain"), parameters: [] }]),
  ]),
];

function targetsOf(m: Material): DecoderTarget[] {
  const mlsBytes = m.mls.map(msgBytes);
  const publics = m.publics;
  const contents = publics.map((p) => p.content);
  const commit = pubCommitOf(m);
  const path = commit.path!;
  const leaves = [
    m.keyPackages[0]!.leafNode,
    m.updateLeaf,
    m.commitLeaf,
    m.keyPackages[2]!.leafNode,
  ];
  const nodes = m.trees.flatMap((t) => t.filter((n): n is Node => n !== undefined));
  const parents = nodes.flatMap((n) => (n.nodeType === NodeType.parent ? [n.parent] : []));
  const senders: Sender[] = [
    { senderType: SenderType.member, leafIndex: 3 },
    { senderType: SenderType.external, senderIndex: 0 },
    { senderType: SenderType.new_member_proposal },
    { senderType: SenderType.new_member_commit },
  ];
  const privateMessages = m.mls.flatMap((x) =>
    x.wireFormat === WireFormat.mls_private_message ? [x.privateMessage] : [],
  );
  const signature = filler(64, 13);
  const bodies: Record<1 | 2 | 3, ContentBody> = {
    1: { contentType: 1, applicationData: utf8("application data") },
    2: { contentType: 2, proposal: proposalSamples(m)[2]! },
    3: { contentType: 3, commit },
  };
  const auth = (ct: number): FramedContentAuthData =>
    ct === 3 ? { signature, confirmationTag: filler(32, 14) } : { signature };
  const safeItems = [
    { componentId: 2, data: filler(3, 15) },
    { componentId: 6, data: Uint8Array.of(1) },
  ];
  const media = [
    { type: utf8("text/markdown"), parameters: [{ name: utf8("charset"), value: utf8("utf-8") }] },
    { type: utf8("image/png"), parameters: [] },
  ];
  const framings = [
    frameApplicationData({ mediaType: media[0]!, content: utf8("# hi") }),
    frameApplicationData({
      mediaType: { type: new Uint8Array(0), parameters: [] },
      content: utf8("x"),
    }),
  ];
  const apqUpdates: ApqInfoUpdate[] = [
    { updateType: ApqUpdateType.new_t_epoch, epoch: 4n },
    { updateType: ApqUpdateType.new_pq_epoch, epoch: 2n },
  ];
  const infoUpdates = [
    ...apqUpdates.map((u) => encodeBytes(apqInfoUpdateCodec, u)),
    concat(Uint8Array.of(ApqUpdateType.full_update), m.apqInfos[0]!),
  ];
  const u16 = { encode: (w: Writer, v: number) => w.u16(v), decode: (r: Reader) => r.u16() };
  const anyBytes = [...mlsBytes, ...m.apqPairs];
  const ratchetTreeExt = (b: Uint8Array) =>
    ratchetTreeFromExtensions([{ extensionType: 2, extensionData: b }]);
  const dictionary = (b: Uint8Array) =>
    validateAppDataDictionary(
      [{ extensionType: extType("app_data_dictionary"), extensionData: b }],
      "GroupContext",
    );
  const dictionaries = [
    appDataDictionaryExtension([
      { componentId: ComponentId.app_components, data: encodeBytes(componentsListCodec, [1, 2]) },
      contentMediaTypesEntry(media),
      { componentId: 0x0a0a, data: filler(4, 16) },
    ]).extensionData,
    MEDIA_GROUP_EXTENSIONS[0]!.extensionData,
  ];

  return [
    // ---- RFC 9420 messages (§6, §17.2)
    codecTarget("MLSMessage", mlsMessageCodec, mlsBytes),
    codecTarget("AnyMessage", anyMessageCodec, anyBytes),
    codecTarget("PublicMessage", publicMessageCodec, enc(publicMessageCodec)(publics)),
    codecTarget("PrivateMessage", privateMessageCodec, enc(privateMessageCodec)(privateMessages)),
    codecTarget("Welcome", welcomeCodec, enc(welcomeCodec)(m.welcomes)),
    codecTarget("GroupInfo", groupInfoCodec, enc(groupInfoCodec)(m.groupInfos)),
    codecTarget("GroupInfoTBS", groupInfoTBSCodec, enc(groupInfoTBSCodec)(m.groupInfos)),
    codecTarget("KeyPackage", keyPackageCodec, enc(keyPackageCodec)(m.keyPackages)),
    codecTarget("KeyPackageTBS", keyPackageTBSCodec, enc(keyPackageTBSCodec)(m.keyPackages)),
    codecTarget(
      "KeyPackageBundle",
      keyPackageBundleCodec,
      enc(keyPackageBundleCodec)(
        m.keyPackages.map((keyPackage, i) => ({
          keyPackage,
          privateKeys: {
            initPrivateKey: filler(32, 40 + i),
            encryptionPrivateKey: filler(32, 50 + i),
            signaturePrivateKey: filler(64, 60 + i),
          },
          ref: filler(32, 70 + i),
        })),
      ),
    ),
    // ---- framing (§6)
    codecTarget("Sender", senderCodec, enc(senderCodec)(senders)),
    codecTarget("FramedContent", framedContentCodec, enc(framedContentCodec)(contents)),
    codecTarget(
      "AuthenticatedContent",
      authenticatedContentCodec,
      enc(authenticatedContentCodec)(
        publics.map((p) => ({
          wireFormat: WireFormat.mls_public_message,
          content: p.content,
          auth: p.auth,
        })),
      ),
    ),
    ...([1, 2, 3] as const).flatMap((ct) => [
      codecTarget(`ContentBody(${ct})`, contentBodyCodec(ct), [
        encodeBytes(contentBodyCodec(ct), bodies[ct]),
      ]),
      codecTarget(`FramedContentAuthData(${ct})`, authDataCodec(ct), [
        encodeBytes(authDataCodec(ct), auth(ct)),
      ]),
      codecTarget(
        `PrivateMessageContent(${ct})`,
        privateContentCodec(ct),
        [0, 13].map((paddingLength) =>
          encodeBytes(privateContentCodec(ct), { ...bodies[ct], auth: auth(ct), paddingLength }),
        ),
      ),
    ]),
    codecTarget("SenderData", senderDataCodec, [
      encodeBytes(senderDataCodec, { leafIndex: 2, generation: 9, reuseGuard: filler(4, 17) }),
    ]),
    codecTarget(
      "PrivateContentAAD",
      privateContentAADCodec,
      enc(privateContentAADCodec)(privateMessages),
    ),
    codecTarget("SenderDataAAD", senderDataAADCodec, enc(senderDataAADCodec)(privateMessages)),
    // Decode-only refusals: these structures are only ever encoded.
    refuser(
      "FramedContentTBS",
      framedContentTBSCodec,
      contents.map((content) =>
        concat(
          Uint8Array.of(0, 1, 0, 1),
          encodeBytes(framedContentCodec, content),
          m.groupContextBytes,
        ),
      ),
    ),
    refuser(
      "LeafNodeTBS",
      leafNodeTBSCodec,
      leaves.map((l) => encodeBytes(leafNodeCodec, l)),
    ),
    // ---- tree and leaves (§7)
    codecTarget("LeafNode", leafNodeCodec, enc(leafNodeCodec)(leaves)),
    codecTarget(
      "Capabilities",
      capabilitiesCodec,
      enc(capabilitiesCodec)(leaves.map((l) => l.capabilities)),
    ),
    codecTarget("Credential", credentialCodec, enc(credentialCodec)(m.credentials)),
    codecTarget(
      "CredentialBinding",
      credentialBindingCodec,
      enc(credentialBindingCodec)(m.bindings),
    ),
    codecTarget("Extension", extensionCodec, enc(extensionCodec)(extensionSamples(m))),
    codecTarget("Extensions", extensionsCodec, [
      ...enc(extensionsCodec)(m.groupInfos.map((g) => g.extensions)),
      encodeBytes(extensionsCodec, extensionSamples(m)),
    ]),
    codecTarget("RatchetTree", ratchetTreeCodec, enc(ratchetTreeCodec)(m.trees)),
    codecTarget("Node", nodeCodec, enc(nodeCodec)(nodes.slice(0, 6))),
    codecTarget("ParentNode", parentNodeCodec, enc(parentNodeCodec)(parents)),
    codecTarget("UpdatePath", updatePathCodec, [encodeBytes(updatePathCodec, path)]),
    codecTarget("UpdatePathNode", updatePathNodeCodec, enc(updatePathNodeCodec)(path.nodes)),
    codecTarget("HPKECiphertext", hpkeCiphertextCodec, [
      ...enc(hpkeCiphertextCodec)(path.nodes.flatMap((n) => n.encryptedPathSecret)),
      ...enc(hpkeCiphertextCodec)(m.welcomes.map((w) => w.secrets[0]!.encryptedGroupSecrets)),
    ]),
    // ---- group (§8, §11, §12)
    codecTarget(
      "GroupContext",
      groupContextCodec,
      enc(groupContextCodec)(m.groupInfos.map((g) => g.groupContext)),
    ),
    codecTarget("Proposal", proposalCodec, enc(proposalCodec)(proposalSamples(m))),
    codecTarget("ProposalOrRef", proposalOrRefCodec, [
      encodeBytes(proposalOrRefCodec, { type: 1, proposal: proposalSamples(m)[2]! }),
      encodeBytes(proposalOrRefCodec, { type: 1, proposal: proposalSamples(m)[1]! }),
      encodeBytes(proposalOrRefCodec, { type: 2, reference: filler(32, 18) }),
    ]),
    codecTarget("Commit", commitCodec, [
      encodeBytes(commitCodec, commit),
      encodeBytes(commitCodec, {
        proposals: [
          { type: 2, reference: filler(32, 19) },
          { type: 1, proposal: proposalSamples(m)[2]! },
          { type: 1, proposal: proposalSamples(m)[9]! },
        ],
      }),
    ]),
    codecTarget("ReInit", reInitCodec, [
      encodeBytes(reInitCodec, {
        groupId: filler(16, 9),
        version: 1,
        cipherSuite: 3,
        extensions: extensionSamples(m).slice(2),
      }),
    ]),
    codecTarget("PreSharedKeyID", preSharedKeyIDCodec, enc(preSharedKeyIDCodec)(psks())),
    codecTarget(
      "PSKLabel",
      pskLabelCodec,
      psks().map((id, index) => encodeBytes(pskLabelCodec, { id, index, count: 3 })),
    ),
    codecTarget("GroupSecrets", groupSecretsCodec, [
      encodeBytes(groupSecretsCodec, {
        joinerSecret: filler(32, 20),
        pathSecret: filler(32, 21),
        psks: psks(),
      }),
      encodeBytes(groupSecretsCodec, { joinerSecret: filler(32, 22), psks: [] }),
    ]),
    codecTarget(
      "EncryptedGroupSecrets",
      encryptedGroupSecretsCodec,
      enc(encryptedGroupSecretsCodec)(m.welcomes.flatMap((w) => w.secrets)),
    ),
    // ---- extension payloads (§5.3.3, §11.1, §12.1.8.1, §12.4.3.2)
    codecTarget("RequiredCapabilities", requiredCapabilitiesCodec, [
      extensionSamples(m)[2]!.extensionData,
    ]),
    codecTarget("ExternalPub", externalPubCodec, [m.groupInfos[0]!.extensions[1]!.extensionData]),
    codecTarget("ExternalSender", externalSenderCodec, [
      encodeBytes(externalSenderCodec, {
        signatureKey: filler(32, 23),
        credential: m.credentials[0]!,
      }),
    ]),
    codecTarget("ExternalSenders", externalSendersCodec, [
      encodeBytes(
        externalSendersCodec,
        m.credentials
          .slice(0, 3)
          .map((credential, i) => ({ signatureKey: filler(32, 24 + i), credential })),
      ),
    ]),
    codecTarget("ApplicationId", applicationIdCodec, [
      encodeBytes(applicationIdCodec, utf8("app-id")),
    ]),
    // ---- draft-ietf-mls-extensions structures (src/extensions/wire.ts)
    codecTarget("AppDataDictionary", appDataDictionaryCodec, dictionaries),
    codecTarget("ComponentsList", componentsListCodec, [
      encodeBytes(componentsListCodec, [1, 2, 0x0a0a]),
    ]),
    codecTarget("WireFormats", wireFormatsCodec, [
      encodeBytes(wireFormatsCodec, [1, 2, 3, 4, 5, 0xf0a0]),
    ]),
    codecTarget("SafeAAD", safeAADCodec, [encodeSafeAAD(safeItems), encodeSafeAAD([])]),
    codecTarget("AppAck", appAckCodec, [
      encodeBytes(appAckCodec, [
        { sender: 0, firstGeneration: 0, lastGeneration: 4 },
        { sender: 2, firstGeneration: 7, lastGeneration: 7 },
      ]),
    ]),
    codecTarget("MediaType", mediaTypeCodec, enc(mediaTypeCodec)(media)),
    codecTarget("MediaTypeList", mediaTypeListCodec, [encodeBytes(mediaTypeListCodec, media)]),
    codecTarget("ApplicationFraming", applicationFramingCodec, framings),
    // ---- parse functions over those structures (ValidationError where they validate by design)
    functionTarget(
      "parseSafeAAD",
      parseSafeAAD,
      encodeSafeAAD,
      safeAADCodec as Codec<unknown>,
      [encodeSafeAAD(safeItems)],
      {
        // It turns every CodecError into a ValidationError (extensions §2.8).
        allowed: [ValidationError],
      },
    ),
    functionTarget(
      "parseAppAck",
      parseAppAck,
      (v) => encodeBytes(appAckCodec, v),
      appAckCodec as Codec<unknown>,
      [encodeBytes(appAckCodec, [{ sender: 1, firstGeneration: 2, lastGeneration: 3 }])],
      // §4.1: a range that ends before it starts is a ValidationError.
      { allowed: [CodecError, ValidationError] },
    ),
    functionTarget(
      "parseApplicationData",
      (b) => parseApplicationData(b, MEDIA_GROUP_EXTENSIONS),
      undefined,
      applicationFramingCodec as Codec<unknown>,
      framings,
      // An empty media type means "the group's first": the result is not an encoding.
      { allowed: [CodecError, ValidationError], canonical: false },
    ),
    functionTarget(
      "ratchetTreeFromExtensions",
      ratchetTreeExt,
      (t) => encodeBytes(ratchetTreeCodec, t!.toNodes()),
      ratchetTreeCodec as Codec<unknown>,
      enc(ratchetTreeCodec)(m.trees),
      // RatchetTree.fromNodes checks node types by position (§12.4.3.3): ValidationError.
      { allowed: [CodecError, ValidationError] },
    ),
    functionTarget(
      "validateAppDataDictionary",
      dictionary,
      (v) => encodeBytes(appDataDictionaryCodec, v!),
      appDataDictionaryCodec as Codec<unknown>,
      dictionaries,
      // It reports malformed dictionaries and component data as ValidationError (§2.5).
      { allowed: [ValidationError] },
    ),
    // ---- codec primitives (RFC 9420 §2.1)
    functionTarget(
      "readVarint",
      (b) => {
        const [value, size] = readVarint(b, 0, b.length);
        return { value, rest: b.subarray(size) };
      },
      ({ value, rest }) => {
        const w = new Writer(8);
        w.varint(value);
        return concat(w.finish(), rest);
      },
      undefined,
      [Uint8Array.of(0x25), Uint8Array.of(0x7b, 0xbd, 9), Uint8Array.of(0x9d, 0x7f, 0x3e, 0x7d)],
    ),
    codecTarget("opaque<V>", opaque, [
      encodeBytes(opaque, filler(70, 25)),
      encodeBytes(opaque, filler(20000, 26)),
    ]),
    codecTarget("uint32<V>", vectorOf(uint32), [
      encodeBytes(vectorOf(uint32), [1, 0xffffffff, 77]),
    ]),
    codecTarget("uint16<V>", vectorOf(u16), [encodeBytes(vectorOf(u16), [1, 2, 3, 0xfefe])]),
    codecTarget("optional<opaque>", optionalOf(opaque), [
      encodeBytes(optionalOf(opaque), utf8("present")),
      encodeBytes(optionalOf(opaque), undefined),
    ]),
    codecTarget("bool", bool, [Uint8Array.of(0), Uint8Array.of(1)]),
    codecTarget("uint64", uint64, [encodeBytes(uint64, 0x0123456789abcdefn)]),
    // ---- state blobs (trusted storage, but decoded from bytes all the same)
    functionTarget(
      "MlsGroup.deserialize",
      (b) => MlsGroup.deserialize(b),
      (g) => g.serialize(),
      undefined,
      m.state,
      // An unknown cipher suite is a UsageError (getCipherSuite); bad trees a ValidationError.
      { allowed: [CodecError, UsageError, ValidationError], canonical: false },
    ),
    // ---- the APQ-MLS combiner (packages/pq-combiner)
    functionTarget(
      "decodeApqMessage",
      decodeApqMessage,
      (v) => (v.kind === "plain" ? msgBytes(v.message) : encodeMessagePair(v.pair)),
      anyMessageCodec as Codec<unknown>,
      [...m.apqPairs, ...m.apqPlain],
    ),
    codecTarget(
      "APQMessagePair",
      apqMessagePairCodec,
      m.apqPairs.map((p) => p.subarray(4)),
    ),
    codecTarget("APQInfo", apqInfoCodec, m.apqInfos),
    codecTarget("APQInfoUpdate", apqInfoUpdateCodec, infoUpdates),
  ];
}

function pubCommitOf(m: Material) {
  const c = m.publics[2]!.content;
  if (c.contentType !== 3) throw new Error("expected a commit");
  return c.commit;
}

/** A decoder that refuses every input by design (structures that are only ever encoded). */
function refuser(
  name: string,
  codec: Codec<unknown>,
  samples: readonly Uint8Array[],
): DecoderTarget {
  return { ...codecTarget(name, codec, samples), refusesAll: true };
}

let built: Promise<{ material: Material; targets: DecoderTarget[] }> | undefined;

/** Builds the corpus once per process (about a second: real groups and an APQ session). */
export function decoderTargets(): Promise<DecoderTarget[]> {
  registerApqWireFormat();
  built ??= buildMaterial().then((material) => ({ material, targets: targetsOf(material) }));
  return built.then((b) => b.targets);
}

/** The APQ session state blobs of the corpus (for the state-decoder regression test). */
export function apqStateSamples(): Promise<Uint8Array[]> {
  return decoderTargets().then(() => built!.then((b) => b.material.apqState));
}
