import { deriveTreeSecret, expandWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { UsageError, ValidationError } from "../errors.js";
import type { LeafIndex } from "../treemath.js";
import { wipe } from "../util/bytes.js";
import { ContentType } from "../wire/enums.js";
import { DerivationTree } from "./derivationTree.js";

/**
 * The secret tree and its sender ratchets (RFC 9420 §9).
 *
 * Node secrets are derived lazily from `encryption_secret` at the root, and each is deleted as
 * soon as both its children exist (§9.2). Every leaf starts a handshake and an application hash
 * ratchet. A receiver may look ahead at most `maximumForwardDistance` generations and keeps the
 * keys of at most `outOfOrderTolerance` skipped generations for late messages; a key is deleted
 * once used.
 */

export interface SecretTreeOptions {
  /** How many skipped generations per ratchet keep their keys for late messages. */
  readonly outOfOrderTolerance: number;
  /** How far ahead of the next expected generation a received message may be. */
  readonly maximumForwardDistance: number;
}

export const DEFAULT_SECRET_TREE_OPTIONS: SecretTreeOptions = {
  outOfOrderTolerance: 10,
  maximumForwardDistance: 1000,
};

export type RatchetType = "handshake" | "application";

export function ratchetTypeOf(contentType: number): RatchetType {
  return contentType === ContentType.application ? "application" : "handshake";
}

export interface RatchetKey {
  readonly generation: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/**
 * A key a receiver may use. Nothing changes in the ratchet until `consume()` is called (after the
 * message was authenticated), so a forged or broken message leaves the state as it was.
 */
export interface PendingRatchetKey extends RatchetKey {
  consume(): void;
}

const EMPTY = new Uint8Array(0);

/** One sender's hash ratchet (§9.1). */
export class SenderRatchet {
  /** `ratchet_secret_[generation]`, the next unused position. */
  private secret: Uint8Array;
  private generation = 0;
  /** Keys of skipped generations kept for out-of-order delivery. */
  private readonly skipped = new Map<number, { key: Uint8Array; nonce: Uint8Array }>();

  constructor(
    private readonly suite: CipherSuite,
    initialSecret: Uint8Array,
    private readonly options: SecretTreeOptions,
  ) {
    this.secret = initialSecret;
  }

  get nextGeneration(): number {
    return this.generation;
  }

  private async keyAt(secret: Uint8Array, generation: number): Promise<RatchetKey> {
    const [key, nonce] = await Promise.all([
      deriveTreeSecret(this.suite, secret, "key", generation, this.suite.aead.Nk),
      deriveTreeSecret(this.suite, secret, "nonce", generation, this.suite.aead.Nn),
    ]);
    return { generation, key, nonce };
  }

  private advance(secret: Uint8Array, generation: number): Promise<Uint8Array> {
    return deriveTreeSecret(this.suite, secret, "secret", generation, this.suite.kdf.Nh);
  }

  /** Sender side: the key of the next generation, consumed at once. */
  async next(): Promise<RatchetKey> {
    if (this.generation >= 0xffffffff) throw new UsageError("sender ratchet exhausted");
    const k = await this.keyAt(this.secret, this.generation);
    const nextSecret = await this.advance(this.secret, this.generation);
    wipe(this.secret);
    this.secret = nextSecret;
    this.generation++;
    return k;
  }

  /** Receiver side: the key for `generation`, to be consumed once the message checks out. */
  async get(generation: number): Promise<PendingRatchetKey> {
    if (generation < this.generation) {
      const k = this.skipped.get(generation);
      if (k === undefined)
        throw new ValidationError(
          "RFC9420 §9.2",
          `generation ${generation} was already used or is outside the out-of-order window`,
        );
      return {
        generation,
        key: k.key,
        nonce: k.nonce,
        consume: () => {
          this.skipped.delete(generation);
          wipe(k.key);
          wipe(k.nonce);
        },
      };
    }
    if (generation - this.generation > this.options.maximumForwardDistance)
      throw new ValidationError(
        "RFC9420 §9.2",
        `generation ${generation} is more than ${this.options.maximumForwardDistance} ahead of ${this.generation}`,
      );
    // Walk forward without touching the state; keep keys of skipped generations in the window.
    const keepFrom = Math.max(this.generation, generation - this.options.outOfOrderTolerance);
    const kept: RatchetKey[] = [];
    const intermediates: Uint8Array[] = [];
    let secret = this.secret;
    for (let g = this.generation; g < generation; g++) {
      if (g >= keepFrom) kept.push(await this.keyAt(secret, g));
      const next = await this.advance(secret, g);
      if (secret !== this.secret) intermediates.push(secret);
      secret = next;
    }
    const k = await this.keyAt(secret, generation);
    const nextSecret = await this.advance(secret, generation);
    if (secret !== this.secret) intermediates.push(secret);
    return {
      ...k,
      consume: () => {
        for (const s of kept) this.skipped.set(s.generation, { key: s.key, nonce: s.nonce });
        for (const s of intermediates) wipe(s);
        wipe(this.secret);
        this.secret = nextSecret;
        this.generation = generation + 1;
        this.prune();
      },
    };
  }

  /** Drops skipped keys that fell out of the out-of-order window. */
  private prune(): void {
    const oldest = this.generation - 1 - this.options.outOfOrderTolerance;
    for (const [g, k] of this.skipped) {
      if (g < oldest) {
        wipe(k.key);
        wipe(k.nonce);
        this.skipped.delete(g);
      }
    }
  }

  /** The ratchet's state, for serialisation (contains secrets). */
  exportState(): RatchetState {
    return {
      generation: this.generation,
      secret: this.secret,
      skipped: [...this.skipped].map(([generation, k]) => ({
        generation,
        key: k.key,
        nonce: k.nonce,
      })),
    };
  }

  static fromState(suite: CipherSuite, s: RatchetState, options: SecretTreeOptions): SenderRatchet {
    const r = new SenderRatchet(suite, s.secret, options);
    r.generation = s.generation;
    for (const k of s.skipped) r.skipped.set(k.generation, { key: k.key, nonce: k.nonce });
    return r;
  }

  /** Overwrites every secret this ratchet holds. */
  destroy(): void {
    wipe(this.secret);
    for (const k of this.skipped.values()) {
      wipe(k.key);
      wipe(k.nonce);
    }
    this.skipped.clear();
  }
}

/** Serialisable state of one sender ratchet. */
export interface RatchetState {
  readonly generation: number;
  readonly secret: Uint8Array;
  readonly skipped: readonly { generation: number; key: Uint8Array; nonce: Uint8Array }[];
}

/** Serialisable state of a secret tree. */
export interface SecretTreeState {
  readonly leafCount: number;
  readonly nodes: readonly { node: number; secret: Uint8Array }[];
  readonly ratchets: readonly {
    leaf: number;
    handshake: RatchetState;
    application: RatchetState;
  }[];
}

export class SecretTree {
  private readonly tree: DerivationTree;
  private readonly ratchets = new Map<number, Record<RatchetType, SenderRatchet>>();

  constructor(
    private readonly suite: CipherSuite,
    encryptionSecret: Uint8Array,
    readonly leafCount: number,
    private readonly options: SecretTreeOptions = DEFAULT_SECRET_TREE_OPTIONS,
  ) {
    this.tree = new DerivationTree(suite, encryptionSecret, leafCount);
  }

  private async ratchetsOf(leaf: LeafIndex): Promise<Record<RatchetType, SenderRatchet>> {
    if (leaf >= this.leafCount)
      throw new ValidationError("RFC9420 §6.3.2", `leaf ${leaf} is outside the tree`);
    let r = this.ratchets.get(leaf);
    if (r === undefined) {
      const secret = await this.tree.take(leaf);
      const [hs, as] = await Promise.all([
        expandWithLabel(this.suite, secret, "handshake", EMPTY, this.suite.kdf.Nh),
        expandWithLabel(this.suite, secret, "application", EMPTY, this.suite.kdf.Nh),
      ]);
      wipe(secret);
      r = {
        handshake: new SenderRatchet(this.suite, hs, this.options),
        application: new SenderRatchet(this.suite, as, this.options),
      };
      this.ratchets.set(leaf, r);
    }
    return r;
  }

  /** The ratchet of one leaf, created on first use. */
  async ratchet(leaf: LeafIndex, type: RatchetType): Promise<SenderRatchet> {
    return (await this.ratchetsOf(leaf))[type];
  }

  /** The tree's state, for serialisation (contains secrets). */
  exportState(): SecretTreeState {
    return {
      leafCount: this.leafCount,
      nodes: this.tree.exportNodes(),
      ratchets: [...this.ratchets].map(([leaf, r]) => ({
        leaf,
        handshake: r.handshake.exportState(),
        application: r.application.exportState(),
      })),
    };
  }

  static fromState(
    suite: CipherSuite,
    s: SecretTreeState,
    options: SecretTreeOptions = DEFAULT_SECRET_TREE_OPTIONS,
  ): SecretTree {
    const t = new SecretTree(suite, new Uint8Array(suite.kdf.Nh), s.leafCount, options);
    t.tree.importNodes(s.nodes);
    for (const r of s.ratchets)
      t.ratchets.set(r.leaf, {
        handshake: SenderRatchet.fromState(suite, r.handshake, options),
        application: SenderRatchet.fromState(suite, r.application, options),
      });
    return t;
  }

  /** Overwrites every secret the tree holds. */
  destroy(): void {
    this.tree.destroy();
    for (const r of this.ratchets.values()) {
      r.handshake.destroy();
      r.application.destroy();
    }
    this.ratchets.clear();
  }
}
