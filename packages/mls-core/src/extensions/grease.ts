import type { Extension } from "../wire/extension.js";
import type { Capabilities } from "../wire/leafNode.js";

/**
 * GREASE (RFC 9420 §13.5; draft-ietf-mls-extensions §3.1): random reserved values senders put
 * where receivers must ignore unknown values, so that implementations which wrongly reject them
 * are found early. Only in LeafNode capabilities and extensions, KeyPackage extensions and
 * GroupInfo extensions — never in proposal types, credential types or GroupContext extensions.
 */

/** 0x0A0A, 0x1A1A, …, 0xEAEA (0xFAFA is private use). */
export const GREASE_VALUES: readonly number[] = Array.from(
  { length: 15 },
  (_, i) => i * 0x1010 + 0x0a0a,
);
/** Component GREASE values stop at 0x7A7A (ComponentIDs 0x8000+ are private use). */
export const COMPONENT_GREASE_VALUES: readonly number[] = GREASE_VALUES.filter((v) => v <= 0x7a7a);

function pick(values: readonly number[], n: number, random: (n: number) => Uint8Array): number[] {
  const out = new Set<number>();
  const r = random(n);
  for (let i = 0; i < n; i++) out.add(values[r[i]! % values.length]!);
  return [...out];
}

/** Capabilities with one random GREASE value added to each list (§13.5). */
export function greaseCapabilities(
  caps: Capabilities,
  random: (n: number) => Uint8Array,
): Capabilities {
  const [cs, ex, pr, cr] = pick(GREASE_VALUES, 4, random);
  return {
    versions: caps.versions,
    cipherSuites: [...caps.cipherSuites, cs!],
    extensions: [...caps.extensions, ex!],
    proposals: [...caps.proposals, pr!],
    credentials: [...caps.credentials, cr!],
  };
}

/**
 * A GREASE extension with a few random bytes, for KeyPackage or GroupInfo extensions. For a
 * LeafNode, pick the type from its capabilities' GREASE extension value instead.
 */
export function greaseExtension(random: (n: number) => Uint8Array, type?: number): Extension {
  const t = type ?? pick(GREASE_VALUES, 1, random)[0]!;
  const len = random(1)[0]! % 16;
  return { extensionType: t, extensionData: random(len) };
}

export function isGreaseValue(v: number): boolean {
  return GREASE_VALUES.includes(v);
}
