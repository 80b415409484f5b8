import { encodeBytes } from "../codec/codec.js";
import type { CipherSuite } from "../crypto/provider.js";
import { ValidationError } from "../errors.js";
import { ExtProposalType, extType, wireCode } from "../extensions/codepoints.js";
import {
  appDataDictionary,
  type ComponentContext,
  withAppDataDictionary,
} from "../extensions/components.js";
import { missingRequiredComponent, validateAppDataDictionary } from "../extensions/validation.js";
import {
  isDefaultProposal,
  requiredCapabilities,
  summarizeCredentialTypes,
  supportsGroupContextExtensions,
  supportsRequiredCapabilities,
  supportsRequiredWireFormats,
  validateLeafNode,
} from "../tree/leafNodeValidation.js";
import type { RatchetTree } from "../tree/ratchetTree.js";
import { type LeafIndex, toLeafIndex } from "../treemath.js";
import { bytesEqual } from "../util/bytes.js";
import { credentialCodec } from "../wire/credential.js";
import {
  isGrease,
  LeafNodeSource,
  ProposalType,
  PSKType,
  ResumptionPSKUsage,
  SenderType,
} from "../wire/enums.js";
import { checkUniqueExtensions, type Extension, findExtension } from "../wire/extension.js";
import type { Sender } from "../wire/framing.js";
import type { KeyPackage } from "../wire/keyPackage.js";
import type { LeafNode } from "../wire/leafNode.js";
import {
  AppDataUpdateOperation,
  type AppDataUpdateProposal,
  type Proposal,
  type ReInitProposal,
} from "../wire/proposal.js";
import type { PreSharedKeyID } from "../wire/psk.js";
import type { GroupConfig } from "./config.js";
import { validateKeyPackage } from "./keyPackage.js";
import { samePskId } from "./psk.js";

/**
 * Proposal list validation (RFC 9420 §12.2) and application (§12.3). Each rule throws a
 * `ValidationError` whose `rule` names the section; the exported `ProposalRule` constants let
 * tests name the rule they break.
 */

/** A proposal as committed, with who proposed it. */
export interface CommittedProposal {
  readonly proposal: Proposal;
  readonly sender: Sender;
  /** True if the commit names it by reference (SelfRemove must be, extensions §4.3). */
  readonly byReference?: boolean;
}

export interface ProposalContext {
  readonly suite: CipherSuite;
  readonly config: GroupConfig;
  readonly groupId: Uint8Array;
  readonly version: number;
  /** The tree of the current epoch (not modified). */
  readonly tree: RatchetTree;
  readonly groupContextExtensions: readonly Extension[];
  /** The epoch the commit creates (for component hooks). */
  readonly newEpoch: bigint;
  /**
   * The one resumption PSK with usage reinit or branch this commit may inject: only the first
   * commit of a group created by reinitialisation or branching (RFC 9420 §11.2, §11.3).
   */
  readonly resumption?: PreSharedKeyID;
  /**
   * This member is creating the commit (§7.3: a sender MUST check that the leaves it sends are
   * within their lifetime, whether or not received lifetimes are checked).
   */
  readonly sending?: boolean;
}

/** The committer: a member's leaf, or a joiner sending an external commit. */
export type Committer =
  | { readonly kind: "member"; readonly leaf: LeafIndex }
  | { readonly kind: "external" };

/** Proposal types that require the commit to carry a path (§12.4). */
const PATH_REQUIRED = new Set<number>([
  ProposalType.update,
  ProposalType.remove,
  ProposalType.external_init,
  ProposalType.group_context_extensions,
  ExtProposalType.self_remove,
]);

/** Proposal types an `external` sender may send (§12.1.8). */
const EXTERNAL_SENDER_TYPES = new Set<number>([
  ProposalType.add,
  ProposalType.remove,
  ProposalType.psk,
  ProposalType.reinit,
  ProposalType.group_context_extensions,
  ExtProposalType.app_data_update,
  ExtProposalType.app_ephemeral,
]);

const X = "draft-ietf-mls-extensions";

export function pathRequired(proposals: readonly CommittedProposal[]): boolean {
  return (
    proposals.length === 0 || proposals.some((p) => PATH_REQUIRED.has(p.proposal.proposalType))
  );
}

const R = "RFC9420 §12.2";

function fail(rule: string, message: string): never {
  throw new ValidationError(rule, message);
}

function pskIdKey(id: PreSharedKeyID): string {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  if (id.psktype === PSKType.external) return `e:${hex(id.pskId)}:${hex(id.pskNonce)}`;
  if (id.psktype === PSKType.resumption)
    return `r:${id.usage}:${hex(id.pskGroupId)}:${id.pskEpoch}:${hex(id.pskNonce)}`;
  return `a:${id.componentId}:${hex(id.pskId)}:${hex(id.pskNonce)}`;
}

/**
 * §12.1.8 / §6.1: who may send which proposal. Checked when a proposal is received and again
 * when it is committed.
 */
export function checkProposalSender(p: Proposal, sender: Sender): void {
  switch (sender.senderType) {
    case SenderType.member:
      return;
    case SenderType.external:
      if (!EXTERNAL_SENDER_TYPES.has(p.proposalType))
        fail(
          "RFC9420 §12.1.8",
          `an external sender may not send a proposal of type ${p.proposalType}`,
        );
      return;
    case SenderType.new_member_proposal:
      if (p.proposalType !== ProposalType.add)
        fail("RFC9420 §6.1", "a new_member_proposal sender may only propose Add");
      return;
    case SenderType.new_member_commit:
      return;
  }
}

/** Per-proposal rules that need no other proposal (§12.1.x). */
function checkSingle(p: Proposal, sender: Sender, ctx: ProposalContext): void {
  checkProposalSender(p, sender);
  switch (p.proposalType) {
    case ProposalType.update:
      if (sender.senderType !== SenderType.member)
        fail("RFC9420 §12.1.2", "only a member can send an Update");
      return;
    case ProposalType.remove:
      if (ctx.tree.leaf(toLeafIndex(p.removed)) === undefined || p.removed >= ctx.tree.leafCount)
        fail("RFC9420 §12.1.3", `Remove of leaf ${p.removed}, which is blank or outside the tree`);
      return;
    case ProposalType.psk:
      if (p.psk.pskNonce.length !== ctx.suite.kdf.Nh)
        fail("RFC9420 §12.1.4", "psk_nonce must be KDF.Nh bytes long");
      if (
        p.psk.psktype === PSKType.resumption &&
        (p.psk.usage === ResumptionPSKUsage.reinit || p.psk.usage === ResumptionPSKUsage.branch)
      ) {
        // §11.2 / §11.3: only the creator of a reinitialised or branched group injects one, in
        // the group's first commit (which no other member processes).
        if (ctx.resumption === undefined || !samePskId(p.psk, ctx.resumption))
          fail("RFC9420 §12.1.4", "resumption PSKs with usage reinit or branch cannot be proposed");
        return;
      }
      if (p.psk.psktype === PSKType.resumption && p.psk.usage !== ResumptionPSKUsage.application)
        fail("RFC9420 §12.1.4", `unknown resumption PSK usage ${p.psk.usage}`);
      return;
    case ProposalType.reinit:
      if (p.version < ctx.version) fail("RFC9420 §12.1.5", "ReInit to a lower protocol version");
      return;
    case ProposalType.group_context_extensions:
      checkUniqueExtensions(p.extensions, "GroupContextExtensions");
      for (const e of p.extensions)
        if (isGrease(e.extensionType))
          fail("RFC9420 §13.5", "GREASE values must not appear in GroupContext extensions");
      return;
    case ExtProposalType.app_data_update:
    case ExtProposalType.app_ephemeral:
      if (!ctx.config.components.has(p.componentId))
        fail(
          `${X} ${p.proposalType === ExtProposalType.app_ephemeral ? "§2.7" : "§2.6"}`,
          `component ${p.componentId} is unknown to this application`,
        );
      return;
    case ExtProposalType.self_remove:
      if (sender.senderType !== SenderType.member)
        fail(`${X} §4.3`, "only a member can send a SelfRemove");
      return;
    default:
      return;
  }
}

/** The leaf a SelfRemove removes: its sender's. */
function selfRemovedLeaf(x: CommittedProposal): number {
  return (x.sender as { leafIndex: number }).leafIndex;
}

/** §12.2 Proposal List Validation, the rules that concern the list as a whole. */
export function validateProposalList(
  list: readonly CommittedProposal[],
  committer: Committer,
  ctx: ProposalContext,
): void {
  for (const { proposal, sender } of list) checkSingle(proposal, sender, ctx);
  if (committer.kind === "external") {
    validateExternalCommitList(list);
    return;
  }

  const touched = new Set<number>();
  const psks = new Set<string>();
  let gce = 0;
  const removedLeaves = new Set<number>();
  const selfRemoving = new Set<number>();
  for (const x of list) {
    if (x.proposal.proposalType === ProposalType.remove) removedLeaves.add(x.proposal.removed);
    if (x.proposal.proposalType === ExtProposalType.self_remove) {
      removedLeaves.add(selfRemovedLeaf(x));
      selfRemoving.add(selfRemovedLeaf(x));
    }
  }
  for (const x of list) {
    const { proposal: p, sender } = x;
    if (!isDefaultProposal(p.proposalType)) {
      // §12.2: every member that stays must support a non-default proposal type.
      const wire = wireCode("proposal", p.proposalType);
      for (const [index, m] of ctx.tree.members())
        if (!removedLeaves.has(index) && !m.capabilities.proposals.includes(wire))
          fail(R, `member ${index} does not support proposal type ${wire}`);
    }
    switch (p.proposalType) {
      case ProposalType.update: {
        const leaf = (sender as { leafIndex: number }).leafIndex;
        if (leaf === committer.leaf) fail(R, "the committer cannot commit its own Update");
        if (touched.has(leaf)) fail(R, `more than one Update/Remove for leaf ${leaf}`);
        touched.add(leaf);
        break;
      }
      case ProposalType.remove:
        if (p.removed === committer.leaf) fail(R, "the committer cannot remove itself");
        // extensions §4.3: a Remove of a leaf that also sent a SelfRemove is the invalid one.
        if (selfRemoving.has(p.removed))
          fail(`${X} §4.3`, `a Remove of leaf ${p.removed}, which also sent a SelfRemove`);
        if (touched.has(p.removed)) fail(R, `more than one Update/Remove for leaf ${p.removed}`);
        touched.add(p.removed);
        break;
      case ProposalType.psk: {
        const k = pskIdKey(p.psk);
        if (psks.has(k)) fail(R, "two PreSharedKey proposals for the same PreSharedKeyID");
        psks.add(k);
        break;
      }
      case ProposalType.group_context_extensions:
        if (++gce > 1) fail(R, "more than one GroupContextExtensions proposal");
        break;
      case ProposalType.reinit:
        if (list.length > 1) fail(R, "a ReInit must be the only proposal of its commit");
        break;
      case ProposalType.external_init:
        fail(R, "an ExternalInit can only appear in an external commit");
        break;
      case ExtProposalType.self_remove: {
        // extensions §4.3: by reference only, treated like a Remove of its sender.
        if (!x.byReference) fail(`${X} §4.3`, "a SelfRemove can only be committed by reference");
        const leaf = selfRemovedLeaf(x);
        if (leaf === committer.leaf) fail(R, "the committer cannot remove itself");
        if (touched.has(leaf)) fail(`${X} §4.3`, `more than one Update/Remove for leaf ${leaf}`);
        touched.add(leaf);
        break;
      }
      default:
        break;
    }
  }
  checkAppDataUpdates(list);

  // Adds: no two for the same client, none for a client already in the group (unless removed).
  const adds = list.filter((x) => x.proposal.proposalType === ProposalType.add);
  const removed = removedLeaves;
  const same = ctx.config.identity.isSameClient;
  for (let i = 0; i < adds.length; i++) {
    const a = (adds[i]!.proposal as { keyPackage: KeyPackage }).keyPackage.leafNode;
    for (let j = 0; j < i; j++) {
      const b = (adds[j]!.proposal as { keyPackage: KeyPackage }).keyPackage.leafNode;
      if (bytesEqual(a.signatureKey, b.signatureKey) || same?.(a.credential, b.credential))
        fail(R, "two Adds for the same client");
    }
    for (const [index, m] of ctx.tree.members()) {
      if (removed.has(index)) continue;
      if (bytesEqual(a.signatureKey, m.signatureKey) || same?.(a.credential, m.credential))
        fail(R, `an Add for a client already in the group (leaf ${index})`);
    }
  }
}

/**
 * extensions §2.6: per component, a list holds either one `remove` or one or more `update`s.
 */
function checkAppDataUpdates(list: readonly CommittedProposal[]): void {
  const ops = new Map<number, number[]>();
  for (const { proposal: p } of list) {
    if (p.proposalType !== ExtProposalType.app_data_update) continue;
    const l = ops.get(p.componentId) ?? [];
    l.push(p.op);
    ops.set(p.componentId, l);
  }
  for (const [id, l] of ops) {
    if (l.includes(AppDataUpdateOperation.remove) && l.length > 1)
      fail(`${X} §2.6`, `component ${id}: a remove must be the only AppDataUpdate for it`);
  }
}

/**
 * §12.2 rules for an external commit's proposal list (plus the proposals the extensions draft
 * allows there: AppDataUpdate, AppEphemeral, SelfRemove by reference).
 */
function validateExternalCommitList(list: readonly CommittedProposal[]): void {
  let inits = 0;
  let removes = 0;
  const psks = new Set<string>();
  for (const x of list) {
    const p = x.proposal;
    if (x.byReference && p.proposalType !== ExtProposalType.self_remove)
      fail("RFC9420 §12.4.3.2", "an external commit cannot reference proposals");
    switch (p.proposalType) {
      case ProposalType.external_init:
        inits++;
        break;
      case ProposalType.remove:
        removes++;
        break;
      case ProposalType.psk: {
        const k = pskIdKey(p.psk);
        if (psks.has(k)) fail(R, "two PreSharedKey proposals for the same PreSharedKeyID");
        psks.add(k);
        break;
      }
      case ExtProposalType.app_data_update:
      case ExtProposalType.app_ephemeral:
        break;
      case ExtProposalType.self_remove:
        if (!x.byReference) fail(`${X} §4.3`, "a SelfRemove can only be committed by reference");
        break;
      default:
        fail(R, `an external commit may not contain a proposal of type ${p.proposalType}`);
    }
  }
  if (inits !== 1) fail(R, "an external commit needs exactly one ExternalInit");
  if (removes > 1) fail(R, "an external commit may remove at most one member");
  checkAppDataUpdates(list);
}

/**
 * §12.2 (external commits): with a Remove, "the LeafNode in the path field of the external Commit
 * MUST meet the same criteria as would the LeafNode in an Update for the removed leaf": its
 * credential must present the removed member's identity. The application decides through
 * `isSameClient`; without it the two credentials must be identical.
 */
export function checkResyncIdentity(
  removed: LeafNode,
  joiner: LeafNode["credential"],
  identity: GroupConfig["identity"],
): void {
  const same =
    identity.isSameClient?.(removed.credential, joiner) ??
    bytesEqual(
      encodeBytes(credentialCodec, removed.credential),
      encodeBytes(credentialCodec, joiner),
    );
  if (!same)
    fail(R, "an external commit may only remove an earlier appearance of the joining client");
}

/** What applying a proposal list produced (§12.3). */
export interface AppliedProposals {
  readonly tree: RatchetTree;
  readonly extensions: readonly Extension[];
  /** Leaves added, in proposal order, with their KeyPackages. */
  readonly added: { leaf: LeafIndex; keyPackage: KeyPackage }[];
  readonly removed: LeafIndex[];
  readonly updated: LeafIndex[];
  readonly psks: PreSharedKeyID[];
  readonly externalInit?: Uint8Array;
  readonly reinit?: ReInitProposal;
  readonly pathRequired: boolean;
}

/**
 * Validates each Add and Update against the group's (new) parameters and applies the list to a
 * copy of the tree, in the order §12.3 prescribes: GroupContextExtensions, Updates, Removes, Adds
 * (in order), then notes PSKs, ExternalInit and ReInit.
 */
export async function applyProposals(
  list: readonly CommittedProposal[],
  ctx: ProposalContext,
  external = false,
): Promise<AppliedProposals> {
  const tree = ctx.tree.clone();
  const gce = list.find((x) => x.proposal.proposalType === ProposalType.group_context_extensions);
  let extensions =
    gce === undefined
      ? ctx.groupContextExtensions
      : (gce.proposal as { extensions: Extension[] }).extensions;
  if (gce !== undefined) {
    checkGceKeepsDictionary(ctx.groupContextExtensions, extensions);
    validateAppDataDictionary(extensions, "GroupContext");
  }
  const now =
    ctx.sending === true || ctx.config.checkReceivedLifetimes ? ctx.config.now() : undefined;
  const credentialTypes = summarizeCredentialTypes([...tree.members()].map(([, l]) => l));

  const updated: LeafIndex[] = [];
  for (const { proposal: p, sender } of list) {
    if (p.proposalType !== ProposalType.update) continue;
    const leaf = toLeafIndex((sender as { leafIndex: number }).leafIndex);
    const old = tree.leaf(leaf);
    if (old === undefined) fail("RFC9420 §12.1.2", "Update from a blank leaf");
    await validateLeafNode(p.leafNode, {
      suite: ctx.suite,
      expectedSource: LeafNodeSource.update,
      position: { groupId: ctx.groupId, leafIndex: leaf },
      groupContextExtensions: extensions,
      identity: ctx.config.identity,
      credentialContext: "update",
      credentialTypes,
      ...(now === undefined ? {} : { now }),
    });
    if (bytesEqual(p.leafNode.encryptionKey, old.encryptionKey))
      fail("RFC9420 §7.3", "an Update must change the leaf's encryption key");
    tree.setLeaf(leaf, p.leafNode);
    tree.blankDirectPath(leaf);
    updated.push(leaf);
  }

  // extensions §4.3: SelfRemoves after Updates, before Removes.
  const removed: LeafIndex[] = [];
  for (const x of list) {
    if (x.proposal.proposalType !== ExtProposalType.self_remove) continue;
    const leaf = toLeafIndex(selfRemovedLeaf(x));
    if (tree.leaf(leaf) === undefined) fail(`${X} §4.3`, "SelfRemove from a blank leaf");
    tree.setLeaf(leaf, undefined);
    tree.blankDirectPath(leaf);
    removed.push(leaf);
  }
  for (const { proposal: p } of list) {
    if (p.proposalType !== ProposalType.remove) continue;
    const leaf = toLeafIndex(p.removed);
    if (tree.leaf(leaf) === undefined)
      fail(`${X} §4.3`, `leaf ${p.removed} is removed twice (Remove and SelfRemove)`);
    tree.setLeaf(leaf, undefined);
    tree.blankDirectPath(leaf);
    removed.push(leaf);
  }
  if (removed.length > 0) tree.truncate();

  const added: { leaf: LeafIndex; keyPackage: KeyPackage }[] = [];
  for (const { proposal: p } of list) {
    if (p.proposalType !== ProposalType.add) continue;
    await validateKeyPackage(p.keyPackage, {
      suite: ctx.suite,
      version: ctx.version,
      groupContextExtensions: extensions,
      identity: ctx.config.identity,
      credentialTypes,
      maxLifetime: ctx.config.maxLifetime,
      ...(now === undefined ? {} : { now }),
    });
    if (!supportsGroupContextExtensions(p.keyPackage.leafNode.capabilities, extensions))
      fail("RFC9420 §13.4", "the new member does not support the group's extensions");
    validateAppDataDictionary(p.keyPackage.extensions, "KeyPackage");
    added.push({ leaf: tree.addLeaf(p.keyPackage.leafNode), keyPackage: p.keyPackage });
  }

  // extensions §2.7, §2.6: AppEphemeral, then AppDataUpdate, after every default proposal.
  const cctx: ComponentContext = { groupId: ctx.groupId, epoch: ctx.newEpoch, external };
  for (const { proposal: p } of list) {
    if (p.proposalType !== ExtProposalType.app_ephemeral) continue;
    const h = ctx.config.components.get(p.componentId);
    if (h?.ephemeral !== undefined && !(await h.ephemeral(p.data, cctx)))
      fail(`${X} §2.7`, `component ${p.componentId} rejected its AppEphemeral data`);
  }
  const beforeUpdates = extensions;
  extensions = await applyAppDataUpdates(list, extensions, ctx, cctx);

  if (gce !== undefined || extensions !== beforeUpdates) {
    // §12.1.7 / §13.4: every member after this commit must support the new extensions.
    const req = requiredCapabilities(extensions);
    for (const [index, m] of tree.members()) {
      if (!supportsRequiredCapabilities(m.capabilities, req))
        fail("RFC9420 §12.1.7", `member ${index} lacks a newly required capability`);
      if (!supportsGroupContextExtensions(m.capabilities, extensions))
        fail("RFC9420 §12.1.7", `member ${index} does not support a GroupContext extension`);
      if (!supportsRequiredWireFormats(m, extensions))
        fail(`${X} §3`, `member ${index} does not support a required wire format`);
      const missing = missingRequiredComponent(m.extensions, extensions);
      if (missing !== undefined)
        fail(
          `${X} §3`,
          `member ${index} does not list component ${missing.componentId} in its ${missing.list}`,
        );
    }
  }

  // §7.3: signature and encryption keys stay unique in the tree.
  const fresh: LeafNode[] = [
    ...updated.map((l) => tree.leaf(l)!),
    ...added.map((a) => a.keyPackage.leafNode),
  ];
  for (const l of fresh) {
    if (tree.signatureKeyCount(l.signatureKey) > 1)
      fail("RFC9420 §7.3", "a new or updated leaf reuses a signature key already in the tree");
    if (tree.encryptionKeyCount(l.encryptionKey) > 1)
      fail("RFC9420 §7.3", "a new or updated leaf reuses an encryption key already in the tree");
  }

  const psks = list.flatMap((x) =>
    x.proposal.proposalType === ProposalType.psk ? [x.proposal.psk] : [],
  );
  const init = list.find((x) => x.proposal.proposalType === ProposalType.external_init);
  const reinit = list.find((x) => x.proposal.proposalType === ProposalType.reinit);
  return {
    tree,
    extensions,
    added,
    removed,
    updated,
    psks,
    ...(init === undefined
      ? {}
      : { externalInit: (init.proposal as { kemOutput: Uint8Array }).kemOutput }),
    ...(reinit === undefined ? {} : { reinit: reinit.proposal as ReInitProposal }),
    pathRequired: pathRequired(list),
  };
}

/**
 * extensions §2.6: when AppDataUpdate is a required proposal type (before or after the commit),
 * a GroupContextExtensions proposal must leave the app_data_dictionary as it was.
 */
function checkGceKeepsDictionary(before: readonly Extension[], after: readonly Extension[]): void {
  const wire = wireCode("proposal", ExtProposalType.app_data_update);
  const required = (exts: readonly Extension[]) =>
    requiredCapabilities(exts)?.proposalTypes.includes(wire) ?? false;
  if (!required(before) && !required(after)) return;
  const t = extType("app_data_dictionary");
  const a = findExtension(before, t);
  const b = findExtension(after, t);
  const same =
    (a === undefined && b === undefined) ||
    (a !== undefined && b !== undefined && bytesEqual(a.extensionData, b.extensionData));
  if (!same)
    fail(
      `${X} §2.6`,
      "a GroupContextExtensions proposal must not change the app_data_dictionary while AppDataUpdate is required",
    );
}

/** extensions §2.6: applies the AppDataUpdates of a commit, per component in commit order. */
async function applyAppDataUpdates(
  list: readonly CommittedProposal[],
  extensions: readonly Extension[],
  ctx: ProposalContext,
  cctx: ComponentContext,
): Promise<readonly Extension[]> {
  const byComponent = new Map<number, AppDataUpdateProposal[]>();
  for (const { proposal: p } of list) {
    if (p.proposalType !== ExtProposalType.app_data_update) continue;
    const l = byComponent.get(p.componentId) ?? [];
    l.push(p);
    byComponent.set(p.componentId, l);
  }
  if (byComponent.size === 0) return extensions;
  const dict = new Map((appDataDictionary(extensions) ?? []).map((e) => [e.componentId, e.data]));
  for (const [id, ops] of byComponent) {
    const handler = ctx.config.components.get(id);
    if (handler === undefined) fail(`${X} §2.6`, `component ${id} is unknown to this application`);
    const current = dict.get(id);
    const first = ops[0]!;
    if (first.op === AppDataUpdateOperation.remove) {
      if (current === undefined) fail(`${X} §2.6`, `remove of component ${id}, which has no data`);
      if (handler.allowRemove !== undefined && !(await handler.allowRemove(current, cctx)))
        fail(`${X} §2.6`, `component ${id} refused the removal of its data`);
      dict.delete(id);
      continue;
    }
    if (handler.applyUpdate === undefined)
      fail(`${X} §2.6`, `component ${id} accepts no AppDataUpdate`);
    const updates = ops.map((o) => (o as { update: Uint8Array }).update);
    const next = await handler.applyUpdate(current, updates, cctx);
    if (next === undefined) fail(`${X} §2.6`, `component ${id} rejected the update`);
    dict.set(id, next);
  }
  return withAppDataDictionary(
    extensions,
    [...dict].map(([componentId, data]) => ({ componentId, data })),
  );
}
