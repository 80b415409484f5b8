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

/** One random value of `values`. */
function pickOne(values: readonly number[], random: (n: number) => Uint8Array): number {
  return values[random(1)[0]! % values.length]!;
}

/** `list` with one random GREASE value added (unless it already holds that value). */
function withGrease(list: readonly number[], random: (n: number) => Uint8Array): number[] {
  const g = pickOne(GREASE_VALUES, random);
  return list.includes(g) ? [...list] : [...list, g];
}

/** Capabilities with one random GREASE value added to each list (§13.5). */
export function greaseCapabilities(
  caps: Capabilities,
  random: (n: number) => Uint8Array,
): Capabilities {
  // Each list draws its own value: a shared draw of distinct values could come up short and
  // leave a list with an undefined entry.
  return {
    versions: caps.versions,
    cipherSuites: withGrease(caps.cipherSuites, random),
    extensions: withGrease(caps.extensions, random),
    proposals: withGrease(caps.proposals, random),
    credentials: withGrease(caps.credentials, random),
  };
}

/**
 * A GREASE extension with a few random bytes, for KeyPackage or GroupInfo extensions. For a
 * LeafNode, pick the type from its capabilities' GREASE extension value instead.
 */
export function greaseExtension(random: (n: number) => Uint8Array, type?: number): Extension {
  const t = type ?? pickOne(GREASE_VALUES, random);
  const len = random(1)[0]! % 16;
  return { extensionType: t, extensionData: random(len) };
}

export function isGreaseValue(v: number): boolean {
  return GREASE_VALUES.includes(v);
}
