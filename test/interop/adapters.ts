/**
 * Glue between @hpqmls/mls-core ("ours") and ts-mls 1.6.4 ("theirs") for the interoperability
 * tests. Everything that crosses from one implementation to the other crosses as wire bytes
 * (an MLSMessage, or the `ratchet_tree` extension's `optional<Node> ratchet_tree<V>` when a tree
 * travels out of band), so each side only ever sees what its own decoder made of the other
 * side's encoding. The decoders insist on consuming every byte, and on re-encoding what they
 * decoded to the very same bytes.
 */
import { ECDH } from "node:crypto";
import {
  basicCredential,
  type CipherSuite,
  decodeBytes,
  ExtensionType,
  encodeBytes,
  externalPubCodec,
  generateKeyPackage as generateOurKeyPackage,
  getCipherSuite,
  InMemoryPskStore,
  type KeyPackageBundle,
  MlsGroup,
  mlsMessageCodec,
  type MLSMessage as OurMessage,
  RatchetTree as OurRatchetTree,
  ratchetTreeCodec,
  signGroupInfo,
  utf8,
  WireFormat,
} from "@hpqmls/mls-core";
import {
  acceptAll,
  bytesToBase64,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientConfig,
  type ClientState,
  ciphersuites,
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  createGroupInfoWithExternalPubAndRatchetTree,
  decodeMlsMessage,
  defaultCapabilities,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  joinGroupExternal,
  type Lifetime,
  makePskIndex,
  mlsExporter,
  type PrivateKeyPackage,
  type PskIndex,
  processPrivateMessage,
  processPublicMessage,
  type Extension as TheirExtension,
  type KeyPackage as TheirKeyPackage,
  type MLSMessage as TheirMessage,
  type Proposal as TheirProposal,
  type RatchetTree as TheirRatchetTree,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { varLenDataEncoder } from "ts-mls/codec/variableLength.js";
import { createGroupInfo as createTheirGroupInfo } from "ts-mls/createCommit.js";
import { decodeRatchetTree, encodeRatchetTree } from "ts-mls/ratchetTree.js";

// ---------------------------------------------------------------- wire conversion

/** Decodes bytes with ts-mls, insisting that every byte is consumed. */
export function theirDecode(bytes: Uint8Array): TheirMessage {
  const r = decodeMlsMessage(bytes, 0);
  if (r === undefined) throw new Error("ts-mls could not decode the MLSMessage");
  if (r[1] !== bytes.length)
    throw new Error(`ts-mls decoded ${r[1]} of ${bytes.length} bytes of the MLSMessage`);
  assertSameBytes(theirEncode(r[0]), bytes, "ts-mls's re-encoding of an MLSMessage");
  return r[0];
}

export function theirEncode(msg: TheirMessage): Uint8Array {
  return encodeMlsMessage(msg);
}

export function ourDecode(bytes: Uint8Array): OurMessage {
  const m = decodeBytes(mlsMessageCodec, bytes);
  assertSameBytes(ourEncode(m), bytes, "our re-encoding of an MLSMessage");
  return m;
}

export function ourEncode(msg: OurMessage): Uint8Array {
  return encodeBytes(mlsMessageCodec, msg);
}

/** A ratchet tree passed out of band, in the `ratchet_tree` extension's encoding (§12.4.3.3). */
export function ourTreeToTheirs(tree: OurRatchetTree): TheirRatchetTree {
  const bytes = encodeBytes(ratchetTreeCodec, tree.toNodes());
  const r = decodeRatchetTree(bytes, 0);
  if (r === undefined || r[1] !== bytes.length) throw new Error("ts-mls cannot decode our tree");
  return r[0];
}

export function theirTreeToOurs(tree: TheirRatchetTree): OurRatchetTree {
  return OurRatchetTree.fromNodes(decodeBytes(ratchetTreeCodec, encodeRatchetTree(tree)));
}

export function assertSameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  if (a.length !== b.length || a.some((x, i) => x !== b[i]))
    throw new Error(`${what}: bytes differ`);
}

// ---------------------------------------------------------------- cipher suites

export function theirSuiteName(id: number): CiphersuiteName {
  const entry = Object.entries(ciphersuites).find(([, v]) => v === id);
  if (entry === undefined) throw new Error(`ts-mls has no cipher suite ${id}`);
  return entry[0] as CiphersuiteName;
}

export interface SuitePair {
  readonly id: number;
  readonly ours: CipherSuite;
  readonly theirs: CiphersuiteImpl;
}

export async function suitePair(id: number): Promise<SuitePair> {
  return {
    id,
    ours: getCipherSuite(id),
    theirs: await getCiphersuiteImpl(getCiphersuiteFromName(theirSuiteName(id))),
  };
}

// ---------------------------------------------------------------- PSKs

/** One external PSK (§8.4) that every member, of either implementation, holds. */
export interface SharedPsk {
  readonly id: Uint8Array;
  readonly secret: Uint8Array;
}

// ---------------------------------------------------------------- members

/** What processing a handshake or application message produced. */
export type Received =
  | { readonly kind: "application"; readonly data: Uint8Array }
  | { readonly kind: "commit" }
  | { readonly kind: "proposal" };

export interface CommitRequest {
  /** KeyPackages to add, as `mls_key_package` MLSMessages. */
  readonly add?: readonly Uint8Array[];
  /** Put the ratchet_tree extension into the Welcome's GroupInfo. */
  readonly ratchetTreeInWelcome?: boolean;
  /** Inject this external PSK (must be in every member's store). */
  readonly psk?: SharedPsk;
}

export interface CommitOutput {
  readonly commit: Uint8Array;
  readonly welcome?: Uint8Array;
}

/**
 * A group member, of either implementation, driven through wire bytes only. `commit` applies
 * the member's own commit at once (the tests play a delivery service that accepts everything);
 * `receive` merges received commits at once.
 */
export interface Member {
  readonly name: string;
  readonly side: "ours" | "theirs";
  readonly epoch: bigint;
  readonly epochAuthenticator: Uint8Array;
  readonly leafIndex: number;
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array>;
  encrypt(data: Uint8Array): Promise<Uint8Array>;
  receive(message: Uint8Array): Promise<Received>;
  commit(request: CommitRequest): Promise<CommitOutput>;
  /** A GroupInfo (MLSMessage) with external_pub, with or without the ratchet_tree extension. */
  groupInfo(withRatchetTree: boolean): Promise<Uint8Array>;
  /** The ratchet tree, for a joiner that gets it out of band. */
  ratchetTree(): OurRatchetTree;
}

/** A client of either side that has a KeyPackage out and waits to be added. */
export interface Joiner {
  readonly name: string;
  readonly side: "ours" | "theirs";
  /** The KeyPackage as an `mls_key_package` MLSMessage. */
  readonly keyPackage: Uint8Array;
  join(welcome: Uint8Array, tree?: OurRatchetTree): Promise<Member>;
}

// ---------------------------------------------------------------- our side

export class OurMember implements Member {
  readonly side = "ours";
  constructor(
    readonly name: string,
    readonly group: MlsGroup,
  ) {}

  get epoch(): bigint {
    return this.group.epoch;
  }
  get epochAuthenticator(): Uint8Array {
    return this.group.epochAuthenticator;
  }
  get leafIndex(): number {
    return this.group.ownLeafIndex;
  }
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
    return this.group.exportSecret(label, context, length);
  }
  async encrypt(data: Uint8Array): Promise<Uint8Array> {
    return ourEncode(await this.group.encrypt(data));
  }
  async receive(message: Uint8Array): Promise<Received> {
    const r = await this.group.process(ourDecode(message));
    if (r.kind === "commit") {
      await this.group.merge(r.staged);
      return { kind: "commit" };
    }
    return r.kind === "application" ? { kind: "application", data: r.data } : { kind: "proposal" };
  }
  async commit(request: CommitRequest): Promise<CommitOutput> {
    const add = (request.add ?? []).map((bytes) => {
      const m = ourDecode(bytes);
      if (m.wireFormat !== WireFormat.mls_key_package) throw new Error("not a KeyPackage");
      return m.keyPackage;
    });
    const r = await this.group.commit({
      add,
      path: true,
      ratchetTreeInWelcome: request.ratchetTreeInWelcome ?? true,
      ...(request.psk === undefined ? {} : { psks: [this.group.externalPskId(request.psk.id)] }),
    });
    await this.group.merge(r.staged);
    return {
      commit: ourEncode(r.commit),
      ...(r.welcome === undefined ? {} : { welcome: ourEncode(r.welcome) }),
    };
  }
  async groupInfo(withRatchetTree: boolean): Promise<Uint8Array> {
    const groupInfo = await this.group.groupInfo({ ratchetTree: withRatchetTree });
    return ourEncode({ version: 1, wireFormat: WireFormat.mls_group_info, groupInfo });
  }

  /**
   * TEST-ONLY emulation of ts-mls's non-conformant GroupInfo (see `TheirMember.groupInfo`): our
   * GroupInfo with the external_pub extension_data replaced by the bare key and signed again
   * with this member's key. Our library never produces this; it lets the tests check the rest
   * of a ts-mls external join into our group (their external commit, processed by us).
   */
  async groupInfoWithBareExternalPub(withRatchetTree: boolean): Promise<Uint8Array> {
    const gi = await this.group.groupInfo({ ratchetTree: withRatchetTree });
    const extensions = gi.extensions.map((e) =>
      e.extensionType === ExtensionType.external_pub
        ? { ...e, extensionData: decodeBytes(externalPubCodec, e.extensionData) }
        : e,
    );
    const groupInfo = await signGroupInfo(
      this.group.suite,
      this.group.currentState.signaturePrivateKey,
      {
        groupContext: gi.groupContext,
        extensions,
        confirmationTag: gi.confirmationTag,
        signer: gi.signer,
      },
    );
    return ourEncode({ version: 1, wireFormat: WireFormat.mls_group_info, groupInfo });
  }
  ratchetTree(): OurRatchetTree {
    return this.group.ratchetTree;
  }
}

function ourPskStore(psks: readonly SharedPsk[]): InMemoryPskStore {
  const store = new InMemoryPskStore();
  for (const p of psks) store.add(p.id, p.secret);
  return store;
}

export class OurClient {
  private constructor(
    readonly name: string,
    readonly suite: CipherSuite,
    readonly credential: ReturnType<typeof basicCredential>,
    readonly signatureKeyPair: Awaited<ReturnType<CipherSuite["signature"]["generateKeyPair"]>>,
    readonly psks: readonly SharedPsk[],
    readonly publicHandshake: boolean,
  ) {}

  static async create(
    suite: CipherSuite,
    name: string,
    o: { psks?: readonly SharedPsk[]; publicHandshake: boolean },
  ): Promise<OurClient> {
    return new OurClient(
      name,
      suite,
      basicCredential(utf8(name)),
      await suite.signature.generateKeyPair(),
      o.psks ?? [],
      o.publicHandshake,
    );
  }

  /** Our config option for the handshake wire format (RFC 9420 §6: either is allowed). */
  private get config() {
    return { handshakeAsPublicMessage: this.publicHandshake };
  }

  async createGroup(): Promise<OurMember> {
    const group = await MlsGroup.create({
      suite: this.suite,
      credential: this.credential,
      signatureKeyPair: this.signatureKeyPair,
      config: this.config,
      psks: ourPskStore(this.psks),
    });
    return new OurMember(this.name, group);
  }

  async joiner(): Promise<Joiner> {
    const bundle: KeyPackageBundle = await generateOurKeyPackage({
      suite: this.suite,
      credential: this.credential,
      signatureKeyPair: this.signatureKeyPair,
    });
    return {
      name: this.name,
      side: "ours",
      keyPackage: ourEncode({
        version: 1,
        wireFormat: WireFormat.mls_key_package,
        keyPackage: bundle.keyPackage,
      }),
      join: async (welcome, tree) =>
        new OurMember(
          this.name,
          await MlsGroup.join({
            suite: this.suite,
            welcome: ourDecode(welcome),
            keyPackage: bundle,
            ...(tree === undefined ? {} : { ratchetTree: tree }),
            config: this.config,
            psks: ourPskStore(this.psks),
          }),
        ),
    };
  }

  /** §12.4.3.2: joins by external commit; returns the member and the commit to deliver. */
  async joinExternal(
    groupInfo: Uint8Array,
    tree?: OurRatchetTree,
  ): Promise<{ member: OurMember; commit: Uint8Array }> {
    const { group, commit } = await MlsGroup.joinExternal({
      suite: this.suite,
      groupInfo: ourDecode(groupInfo),
      ...(tree === undefined ? {} : { ratchetTree: tree }),
      credential: this.credential,
      signatureKeyPair: this.signatureKeyPair,
      config: this.config,
      psks: ourPskStore(this.psks),
    });
    return { member: new OurMember(this.name, group), commit: ourEncode(commit) };
  }
}

// ---------------------------------------------------------------- their side

/** A KeyPackage lifetime inside ts-mls's default one-month maximum (its default is 0..2^63-1). */
function theirLifetime(): Lifetime {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return { notBefore: now - 3600n, notAfter: now + 28n * 24n * 3600n };
}

function theirConfig(): ClientConfig {
  return defaultClientConfig;
}

/**
 * ts-mls FAULT (RFC 9420 §5.1.1): for the ECDSA suites (2, 5, 7) ts-mls's key generation
 * (`signature.keygen()`, used by `generateKeyPackage`) returns the *compressed* SEC1 point
 * (33/49/67 bytes, prefix 0x02/0x03) as SignaturePublicKey, where §5.1.1 requires "an encoded
 * UncompressedPointRepresentation struct, as defined in RFC 8446". Our implementation rightly
 * rejects such leaves ("invalid LeafNode signature"). ts-mls's verification accepts either form,
 * so their clients here take the same key pair with the public key re-encoded uncompressed, and
 * pass it to ts-mls's `generateKeyPackageWithKey`.
 */
async function theirSignatureKeys(
  impl: CiphersuiteImpl,
): Promise<{ signKey: Uint8Array; publicKey: Uint8Array }> {
  const kp = await impl.signature.keygen();
  const curve = { P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" }[
    getCiphersuiteFromName(impl.name).signature as string
  ];
  if (curve === undefined) return kp;
  const uncompressed = ECDH.convertKey(kp.publicKey, curve, undefined, undefined, "uncompressed");
  return { signKey: kp.signKey, publicKey: new Uint8Array(uncompressed as Buffer) };
}

/** Whether a public key is a compressed SEC1 point (the ts-mls fault above). */
export function isCompressedPoint(key: Uint8Array): boolean {
  return (key[0] === 2 || key[0] === 3) && [33, 49, 67].includes(key.length);
}

export class TheirMember implements Member {
  readonly side = "theirs";
  constructor(
    readonly name: string,
    public state: ClientState,
    readonly impl: CiphersuiteImpl,
    readonly psks: readonly SharedPsk[],
    /** ts-mls's option for the handshake wire format (`wireAsPublicMessage`). */
    readonly publicHandshake: boolean,
  ) {}

  private pskIndex(): PskIndex {
    return makePskIndex(
      this.state,
      Object.fromEntries(this.psks.map((p) => [bytesToBase64(p.id), p.secret])),
    );
  }

  get epoch(): bigint {
    return this.state.groupContext.epoch;
  }
  get epochAuthenticator(): Uint8Array {
    return this.state.keySchedule.epochAuthenticator;
  }
  get leafIndex(): number {
    return this.state.privatePath.leafIndex;
  }
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
    return mlsExporter(this.state.keySchedule.exporterSecret, label, context, length, this.impl);
  }
  async encrypt(data: Uint8Array): Promise<Uint8Array> {
    const r = await createApplicationMessage(this.state, data, this.impl);
    this.state = r.newState;
    return theirEncode({
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: r.privateMessage,
    });
  }
  async receive(message: Uint8Array): Promise<Received> {
    const m = theirDecode(message);
    if (m.wireformat === "mls_public_message") {
      const r = await processPublicMessage(
        this.state,
        m.publicMessage,
        this.pskIndex(),
        this.impl,
        acceptAll,
      );
      this.state = r.newState;
      return { kind: m.publicMessage.content.contentType === "commit" ? "commit" : "proposal" };
    }
    if (m.wireformat !== "mls_private_message") throw new Error(`cannot process ${m.wireformat}`);
    // processPrivateMessage directly: ts-mls's processMessage() hands PrivateMessages an empty
    // PSK index, so it cannot process a PSK commit sent as a PrivateMessage.
    const r = await processPrivateMessage(
      this.state,
      m.privateMessage,
      this.pskIndex(),
      this.impl,
      acceptAll,
    );
    this.state = r.newState;
    if (r.kind === "applicationMessage") return { kind: "application", data: r.message };
    return { kind: m.privateMessage.contentType === "commit" ? "commit" : "proposal" };
  }
  async commit(request: CommitRequest): Promise<CommitOutput> {
    const extraProposals: TheirProposal[] = (request.add ?? []).map((bytes) => {
      const m = theirDecode(bytes);
      if (m.wireformat !== "mls_key_package") throw new Error("not a KeyPackage");
      return { proposalType: "add", add: { keyPackage: m.keyPackage } };
    });
    if (request.psk !== undefined)
      extraProposals.push({
        proposalType: "psk",
        psk: {
          preSharedKeyId: {
            psktype: "external",
            pskId: request.psk.id,
            pskNonce: this.impl.rng.randomBytes(this.impl.kdf.size),
          },
        },
      });
    const r = await createCommit(
      { state: this.state, cipherSuite: this.impl, pskIndex: this.pskIndex() },
      {
        wireAsPublicMessage: this.publicHandshake,
        extraProposals,
        ratchetTreeExtension: request.ratchetTreeInWelcome ?? true,
      },
    );
    this.state = r.newState;
    return {
      commit: theirEncode(r.commit),
      ...(r.welcome === undefined
        ? {}
        : {
            welcome: theirEncode({
              version: "mls10",
              wireformat: "mls_welcome",
              welcome: r.welcome,
            }),
          }),
    };
  }
  /**
   * A GroupInfo with a conformant external_pub, made with ts-mls's own GroupInfo signing.
   *
   * ts-mls FAULT (RFC 9420 §12.4.3.2): `createGroupInfoWithExternalPub[AndRatchetTree]` put the
   * bare HPKE public key into the external_pub extension_data, where §12.4.3.2 defines
   * extension_data as the struct `ExternalPub { HPKEPublicKey external_pub; }` and §5.1.1 has
   * `opaque HPKEPublicKey<V>`, i.e. a varint length prefix first. `joinGroupExternal` likewise
   * reads the extension_data as the bare key. So this builds the extension correctly (with
   * ts-mls's own varint vector encoder) and signs the GroupInfo with ts-mls's `createGroupInfo`.
   * ts-mls's own output is `tsMlsGroupInfo`.
   */
  async groupInfo(withRatchetTree: boolean): Promise<Uint8Array> {
    const kp = await this.impl.hpke.deriveKeyPair(this.state.keySchedule.externalSecret);
    const externalPub = await this.impl.hpke.exportPublicKey(kp.publicKey);
    const extensions: TheirExtension[] = [
      { extensionType: "external_pub", extensionData: encode(varLenDataEncoder)(externalPub) },
    ];
    if (withRatchetTree)
      extensions.push({
        extensionType: "ratchet_tree",
        extensionData: encodeRatchetTree(this.state.ratchetTree),
      });
    const groupInfo = await createTheirGroupInfo(
      this.state.groupContext,
      this.state.confirmationTag,
      this.state,
      extensions,
      this.impl,
    );
    return theirEncode({ version: "mls10", wireformat: "mls_group_info", groupInfo });
  }

  /** The GroupInfo exactly as ts-mls's API makes it (with the external_pub fault above). */
  async tsMlsGroupInfo(withRatchetTree: boolean): Promise<Uint8Array> {
    const groupInfo = withRatchetTree
      ? await createGroupInfoWithExternalPubAndRatchetTree(this.state, [], this.impl)
      : await createGroupInfoWithExternalPub(this.state, [], this.impl);
    return theirEncode({ version: "mls10", wireformat: "mls_group_info", groupInfo });
  }

  ratchetTree(): OurRatchetTree {
    return theirTreeToOurs(this.state.ratchetTree);
  }
}

export class TheirClient {
  private constructor(
    readonly name: string,
    readonly impl: CiphersuiteImpl,
    readonly psks: readonly SharedPsk[],
    readonly publicHandshake: boolean,
    private readonly signatureKeys: { signKey: Uint8Array; publicKey: Uint8Array },
  ) {}

  static async create(
    impl: CiphersuiteImpl,
    name: string,
    o: { psks?: readonly SharedPsk[]; publicHandshake: boolean },
  ): Promise<TheirClient> {
    return new TheirClient(
      name,
      impl,
      o.psks ?? [],
      o.publicHandshake,
      await theirSignatureKeys(impl),
    );
  }

  private keyPackage(): Promise<{
    publicPackage: TheirKeyPackage;
    privatePackage: PrivateKeyPackage;
  }> {
    return generateKeyPackageWithKey(
      { credentialType: "basic", identity: utf8(this.name) },
      defaultCapabilities(),
      theirLifetime(),
      [],
      this.signatureKeys,
      this.impl,
    );
  }

  async createGroup(groupId: Uint8Array): Promise<TheirMember> {
    const kp = await this.keyPackage();
    const state = await createGroup(
      groupId,
      kp.publicPackage,
      kp.privatePackage,
      [],
      this.impl,
      theirConfig(),
    );
    return new TheirMember(this.name, state, this.impl, this.psks, this.publicHandshake);
  }

  private externalPsks(): Record<string, Uint8Array> {
    return Object.fromEntries(this.psks.map((p) => [bytesToBase64(p.id), p.secret]));
  }

  async joiner(): Promise<Joiner> {
    const kp = await this.keyPackage();
    return {
      name: this.name,
      side: "theirs",
      keyPackage: theirEncode({
        version: "mls10",
        wireformat: "mls_key_package",
        keyPackage: kp.publicPackage,
      }),
      join: async (welcome, tree) => {
        const m = theirDecode(welcome);
        if (m.wireformat !== "mls_welcome") throw new Error("not a Welcome");
        const state = await joinGroup(
          m.welcome,
          kp.publicPackage,
          kp.privatePackage,
          makePskIndex(undefined, this.externalPsks()),
          this.impl,
          tree === undefined ? undefined : ourTreeToTheirs(tree),
          undefined,
          theirConfig(),
        );
        return new TheirMember(this.name, state, this.impl, this.psks, this.publicHandshake);
      },
    };
  }

  /** ts-mls's external join; returns the member and the commit (a PublicMessage) to deliver. */
  async joinExternal(
    groupInfo: Uint8Array,
    tree?: OurRatchetTree,
  ): Promise<{ member: TheirMember; commit: Uint8Array }> {
    const m = theirDecode(groupInfo);
    if (m.wireformat !== "mls_group_info") throw new Error("not a GroupInfo");
    const kp = await this.keyPackage();
    const r = await joinGroupExternal(
      m.groupInfo,
      kp.publicPackage,
      kp.privatePackage,
      false,
      this.impl,
      tree === undefined ? undefined : ourTreeToTheirs(tree),
      theirConfig(),
    );
    return {
      member: new TheirMember(this.name, r.newState, this.impl, this.psks, this.publicHandshake),
      commit: theirEncode({
        version: "mls10",
        wireformat: "mls_public_message",
        publicMessage: r.publicMessage,
      }),
    };
  }
}

// ---------------------------------------------------------------- group helpers

/** Delivers a message from `sender` to every other member. */
export async function broadcast(
  sender: Member,
  message: Uint8Array,
  members: readonly Member[],
): Promise<Received[]> {
  const out: Received[] = [];
  for (const m of members) if (m !== sender) out.push(await m.receive(message));
  return out;
}
