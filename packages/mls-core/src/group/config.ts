import type { ComponentHandler } from "../extensions/components.js";
import { DEFAULT_SECRET_TREE_OPTIONS, type SecretTreeOptions } from "../schedule/secretTree.js";
import { acceptAllIdentities, type IdentityProvider } from "./identity.js";

/**
 * Per-group behaviour a deployment chooses. Everything here is local policy: two members may
 * use different values and still interoperate.
 */
export interface GroupConfig {
  /** The Authentication Service hook (§5.3.1). */
  readonly identity: IdentityProvider;
  /** Out-of-order tolerance and maximum forward distance of the sender ratchets (§9). */
  readonly secretTree: SecretTreeOptions;
  /**
   * How many past epochs keep their decryption secrets for late messages (§14.4). 0 deletes
   * them at once (strongest forward secrecy).
   */
  readonly retainedEpochs: number;
  /** Padding added to PrivateMessage content of `length` bytes (§6.3.1, §14.2). */
  readonly padding: (contentLength: number) => number;
  /** Seconds since the Unix epoch, for lifetime checks (§7.3). */
  readonly now: () => bigint;
  /**
   * Check lifetimes of received leaves too (RECOMMENDED by §7.3, not mandatory since a leaf may
   * expire in transit).
   */
  readonly checkReceivedLifetimes: boolean;
  /** Longest accepted total lifetime of a KeyPackage leaf, in seconds (§7.2). */
  readonly maxLifetime: bigint;
  /** Send handshake messages (proposals, commits) as PublicMessage instead of PrivateMessage. */
  readonly handshakeAsPublicMessage: boolean;
  /** How many resumption PSKs of past epochs to keep (§8.6). */
  readonly retainedResumptionPsks: number;
  /**
   * Application components this client knows (draft-ietf-mls-extensions §2), by ComponentID.
   * AppDataUpdate and AppEphemeral proposals for any other component are invalid.
   */
  readonly components: ReadonlyMap<number, ComponentHandler>;
}

/** Pads to a multiple of 32 bytes: hides small length differences at little cost. */
export function padToMultipleOf(block: number): (contentLength: number) => number {
  return (n) => (block - (n % block)) % block;
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  identity: acceptAllIdentities,
  secretTree: DEFAULT_SECRET_TREE_OPTIONS,
  retainedEpochs: 2,
  padding: padToMultipleOf(32),
  now: () => BigInt(Math.floor(Date.now() / 1000)),
  checkReceivedLifetimes: true,
  maxLifetime: 90n * 24n * 3600n,
  handshakeAsPublicMessage: false,
  retainedResumptionPsks: 8,
  components: new Map(),
};

export function groupConfig(overrides: Partial<GroupConfig> = {}): GroupConfig {
  return { ...DEFAULT_GROUP_CONFIG, ...overrides };
}
