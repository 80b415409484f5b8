import { encodeBytes } from "../codec/codec.js";
import type { CipherSuite } from "../crypto/provider.js";
import { ExporterTree } from "../schedule/exporterTree.js";
import {
  deriveEpochSecret,
  deriveEpochSecrets,
  deriveJoinerSecret,
  type EpochSecrets,
} from "../schedule/keySchedule.js";
import { computePskSecret, type ResolvedPsk } from "../schedule/pskSecret.js";
import { SecretTree, type SecretTreeOptions } from "../schedule/secretTree.js";
import { computeConfirmationTag, nextInterimTranscriptHash } from "../schedule/transcript.js";
import type { RatchetTree } from "../tree/ratchetTree.js";
import type { LeafIndex } from "../treemath.js";
import { wipe } from "../util/bytes.js";
import { type GroupContext, groupContextCodec } from "../wire/groupContext.js";

/**
 * One epoch of a group as a member sees it (RFC 9420 §8): the GroupContext, the tree, this
 * member's private keys, the epoch's secrets and its secret tree. Everything but the secret tree's
 * ratchets is fixed for the epoch; a commit produces a new EpochState.
 */
export interface EpochState {
  readonly suite: CipherSuite;
  readonly groupContext: GroupContext;
  /** `groupContext`, encoded once (it is signed into every message of the epoch). */
  readonly groupContextBytes: Uint8Array;
  readonly tree: RatchetTree;
  readonly myLeaf: LeafIndex;
  /** HPKE private keys for this member's leaf and direct path, with their public keys. */
  readonly privateKeys: ReadonlyMap<number, NodeKey>;
  readonly signaturePrivateKey: Uint8Array;
  readonly interimTranscriptHash: Uint8Array;
  /** The confirmation tag of the commit that created the epoch (or of group creation). */
  readonly confirmationTag: Uint8Array;
  readonly secrets: EpochSecrets;
  readonly secretTree: SecretTree;
  /** draft-ietf-mls-extensions §2.3 SafeExportSecret, one consumable secret per component. */
  readonly exporterTree: ExporterTree;
}

export interface NodeKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function encodeGroupContext(gc: GroupContext): Uint8Array {
  return encodeBytes(groupContextCodec, gc);
}

export interface KeyScheduleInput {
  readonly suite: CipherSuite;
  /** init_secret of the previous epoch (or from ExternalInit). */
  readonly initSecret: Uint8Array;
  readonly commitSecret: Uint8Array;
  readonly psks: readonly ResolvedPsk[];
  readonly groupContextBytes: Uint8Array;
}

/** §8: joiner_secret, welcome_secret and the epoch's secrets. */
export async function runKeySchedule(i: KeyScheduleInput): Promise<{
  joinerSecret: Uint8Array;
  welcomeSecret: Uint8Array;
  secrets: EpochSecrets;
}> {
  const joinerSecret = await deriveJoinerSecret(
    i.suite,
    i.initSecret,
    i.commitSecret,
    i.groupContextBytes,
  );
  const r = await fromJoinerSecret(i.suite, joinerSecret, i.psks, i.groupContextBytes);
  return { joinerSecret, ...r };
}

/** §8 from joiner_secret on (what a new member runs after a Welcome). */
export async function fromJoinerSecret(
  suite: CipherSuite,
  joinerSecret: Uint8Array,
  psks: readonly ResolvedPsk[],
  groupContextBytes: Uint8Array,
): Promise<{ welcomeSecret: Uint8Array; secrets: EpochSecrets }> {
  const pskSecret = await computePskSecret(suite, psks);
  const { welcomeSecret, epochSecret } = await deriveEpochSecret(
    suite,
    joinerSecret,
    pskSecret,
    groupContextBytes,
  );
  const secrets = await deriveEpochSecrets(suite, epochSecret);
  wipe(epochSecret);
  wipe(pskSecret);
  return { welcomeSecret, secrets };
}

/** Interim transcript hash after a commit with `confirmationTag` (§8.2). */
export function interimAfter(
  suite: CipherSuite,
  confirmedTranscriptHash: Uint8Array,
  confirmationTag: Uint8Array,
): Promise<Uint8Array> {
  return nextInterimTranscriptHash(suite, confirmedTranscriptHash, confirmationTag);
}

export function confirmationTagFor(
  suite: CipherSuite,
  secrets: EpochSecrets,
  confirmedTranscriptHash: Uint8Array,
): Promise<Uint8Array> {
  return computeConfirmationTag(suite, secrets.confirmationKey, confirmedTranscriptHash);
}

/** The two per-epoch trees; their root secrets are wiped from `secrets` once copied in. */
export function epochTrees(
  suite: CipherSuite,
  secrets: EpochSecrets,
  tree: RatchetTree,
  options: SecretTreeOptions,
): { secretTree: SecretTree; exporterTree: ExporterTree } {
  const secretTree = new SecretTree(suite, secrets.encryptionSecret, tree.leafCount, options);
  const exporterTree = new ExporterTree(suite, secrets.applicationExportSecret);
  wipe(secrets.encryptionSecret);
  wipe(secrets.applicationExportSecret);
  return { secretTree, exporterTree };
}
