import { UsageError, ValidationError } from "../errors.js";
import { isLastResortKeyPackage } from "../extensions/operational.js";
import type { KeyPackageBundle } from "../group/keyPackage.js";
import { type JoinOptions, MlsGroup } from "../group/mlsGroup.js";
import type { PskStore } from "../group/psk.js";
import { toHex } from "../util/bytes.js";
import { WireFormat } from "../wire/enums.js";
import type { Welcome } from "../wire/welcome.js";
import { decodeKeyPackageBundle, encodeKeyPackageBundle } from "./keyPackageBundle.js";

/**
 * Where a member keeps what outlives a process: group states (`MlsGroup.serialize()`), the
 * KeyPackages it has published and not yet used (with their private keys) and external PSKs.
 * Asynchronous, so that it can sit on a file, a database or IndexedDB; `InMemoryMlsStorage` is
 * the reference implementation. Everything in it is secret: implementations must keep it where
 * only the member can read it.
 *
 * `saveGroup` / `loadGroup` / `pskStoreOf` connect it to `MlsGroup`. A state is saved after a
 * merge (`MlsGroup.merge`) and after sending (an encryption advances the secret tree; restoring
 * an older state and sending again would reuse a key and nonce, RFC 9420 §9.1).
 */
export interface MlsStorage {
  getGroupState(groupId: Uint8Array): Promise<Uint8Array | undefined>;
  setGroupState(groupId: Uint8Array, state: Uint8Array): Promise<void>;
  deleteGroupState(groupId: Uint8Array): Promise<void>;
  /** The ids of every stored group. */
  groupIds(): Promise<Uint8Array[]>;

  /** A stored KeyPackage bundle by its KeyPackageRef. */
  getKeyPackage(ref: Uint8Array): Promise<KeyPackageBundle | undefined>;
  setKeyPackage(bundle: KeyPackageBundle): Promise<void>;
  /** Deletes a bundle once a Welcome used it (unless it is a last-resort KeyPackage). */
  deleteKeyPackage(ref: Uint8Array): Promise<void>;
  keyPackageRefs(): Promise<Uint8Array[]>;

  getPsk(pskId: Uint8Array): Promise<Uint8Array | undefined>;
  setPsk(pskId: Uint8Array, psk: Uint8Array): Promise<void>;
  deletePsk(pskId: Uint8Array): Promise<void>;
}

const fromHexKey = (h: string) =>
  new Uint8Array(h.match(/../g)?.map((x) => Number.parseInt(x, 16)) ?? []);

/**
 * MlsStorage in memory. Values are copied in and out (group states and bundles as their
 * encodings), so later changes to a caller's objects never reach the store, nor the reverse.
 */
export class InMemoryMlsStorage implements MlsStorage {
  readonly #groups = new Map<string, Uint8Array>();
  readonly #keyPackages = new Map<string, Uint8Array>();
  readonly #psks = new Map<string, Uint8Array>();

  async getGroupState(groupId: Uint8Array) {
    return this.#groups.get(toHex(groupId))?.slice();
  }
  async setGroupState(groupId: Uint8Array, state: Uint8Array) {
    this.#groups.set(toHex(groupId), state.slice());
  }
  async deleteGroupState(groupId: Uint8Array) {
    this.#groups.delete(toHex(groupId));
  }
  async groupIds() {
    return [...this.#groups.keys()].sort().map(fromHexKey);
  }

  async getKeyPackage(ref: Uint8Array) {
    const b = this.#keyPackages.get(toHex(ref));
    return b === undefined ? undefined : decodeKeyPackageBundle(b);
  }
  async setKeyPackage(bundle: KeyPackageBundle) {
    this.#keyPackages.set(toHex(bundle.ref), encodeKeyPackageBundle(bundle));
  }
  async deleteKeyPackage(ref: Uint8Array) {
    this.#keyPackages.delete(toHex(ref));
  }
  async keyPackageRefs() {
    return [...this.#keyPackages.keys()].sort().map(fromHexKey);
  }

  async getPsk(pskId: Uint8Array) {
    return this.#psks.get(toHex(pskId))?.slice();
  }
  async setPsk(pskId: Uint8Array, psk: Uint8Array) {
    this.#psks.set(toHex(pskId), psk.slice());
  }
  async deletePsk(pskId: Uint8Array) {
    this.#psks.delete(toHex(pskId));
  }
}

/** Saves a group's whole state under its group id. */
export async function saveGroup(storage: MlsStorage, group: MlsGroup): Promise<void> {
  await storage.setGroupState(group.groupId, group.serialize());
}

/** The stored group with this id, restored (undefined if none is stored). */
export async function loadGroup(
  storage: MlsStorage,
  groupId: Uint8Array,
  /** As for `MlsGroup.deserialize`; PSKs default to the storage's (`pskStoreOf`). */
  options: NonNullable<Parameters<typeof MlsGroup.deserialize>[1]> = {},
): Promise<MlsGroup | undefined> {
  const state = await storage.getGroupState(groupId);
  if (state === undefined) return undefined;
  return MlsGroup.deserialize(state, { psks: pskStoreOf(storage), ...options });
}

/** A PskStore whose external PSKs are the storage's. */
export function pskStoreOf(storage: MlsStorage): PskStore {
  return { external: (pskId) => storage.getPsk(pskId) };
}

/** The stored KeyPackage bundle a Welcome is addressed to (§12.4.3.1: by KeyPackageRef). */
export async function keyPackageForWelcome(
  storage: MlsStorage,
  welcome: Welcome,
): Promise<KeyPackageBundle | undefined> {
  for (const s of welcome.secrets) {
    const b = await storage.getKeyPackage(s.newMember);
    if (b !== undefined) return b;
  }
  return undefined;
}

/**
 * Joins from a Welcome with the stored KeyPackage it is addressed to, then stores the new group
 * and deletes the used bundle (a last-resort KeyPackage is kept, draft-ietf-mls-extensions). The
 * join is refused if a group with the same group_id is already stored (§12.4.3.1: the group_id
 * MUST be unique among the groups the member is in); nothing is stored then.
 */
export async function joinAndStore(
  storage: MlsStorage,
  o: Omit<JoinOptions, "keyPackage">,
): Promise<MlsGroup> {
  const w = o.welcome;
  let welcome: Welcome;
  if (!("wireFormat" in w)) welcome = w;
  else if (w.wireFormat === WireFormat.mls_welcome) welcome = w.welcome;
  else throw new UsageError("the message is not a Welcome");
  const bundle = await keyPackageForWelcome(storage, welcome);
  if (bundle === undefined)
    throw new UsageError("no stored KeyPackage is addressed by this Welcome");
  const group = await MlsGroup.join({ psks: pskStoreOf(storage), ...o, keyPackage: bundle });
  if ((await storage.getGroupState(group.groupId)) !== undefined)
    throw new ValidationError(
      "RFC9420 §12.4.3.1",
      "the Welcome's group_id is that of a group this member is already in",
    );
  await saveGroup(storage, group);
  if (!isLastResortKeyPackage(bundle.keyPackage)) await storage.deleteKeyPackage(bundle.ref);
  return group;
}
