/**
 * Code points of draft-ietf-mls-extensions (editor's copy mlswg/mls-extensions@589d7f9), all
 * "suggested" and not yet assigned by IANA, so they are configurable here, in one table.
 *
 * Proposal, PSK and credential types are parsed into typed unions, so in memory they carry their
 * default code point (the literal types below) and only the wire encoding maps them to the
 * configured one. Extensions stay opaque and keep their wire value; look them up with
 * `extType()`. Configure once, before any message is encoded or
 * decoded, with `configureExtensionCodePoints`.
 */

/** Extension draft revision this package implements. */
export const MLS_EXTENSIONS_REVISION = "mlswg/mls-extensions@589d7f9" as const;

export const ExtExtensionType = {
  app_data_dictionary: 0x0006,
  supported_wire_formats: 0x0007,
  required_wire_formats: 0x0008,
} as const;

export const ExtProposalType = {
  app_data_update: 0x0008,
  app_ephemeral: 0x0009,
  self_remove: 0x000a,
} as const;

export const ExtPSKType = { application: 3 } as const;

export const ExtCredentialType = { multi: 0x0003, weak_multi: 0x0004 } as const;

/** MLS Component Types (uint16 ComponentID). */
export const ComponentId = {
  app_components: 0x0001,
  safe_aad: 0x0002,
  content_media_types: 0x0003,
  last_resort_key_package: 0x0004,
  app_ack: 0x0005,
} as const;

type Table = Record<string, number>;

export interface ExtensionCodePoints {
  extensionTypes: { -readonly [K in keyof typeof ExtExtensionType]: number };
  proposalTypes: { -readonly [K in keyof typeof ExtProposalType]: number };
  pskTypes: { -readonly [K in keyof typeof ExtPSKType]: number };
  credentialTypes: { -readonly [K in keyof typeof ExtCredentialType]: number };
}

const defaults = (): ExtensionCodePoints => ({
  extensionTypes: { ...ExtExtensionType },
  proposalTypes: { ...ExtProposalType },
  pskTypes: { ...ExtPSKType },
  credentialTypes: { ...ExtCredentialType },
});

let current = defaults();
let toWire = new Map<string, Map<number, number>>();
let fromWire = new Map<string, Map<number, number>>();

function rebuild(): void {
  toWire = new Map();
  fromWire = new Map();
  const pairs: [string, Table, Table][] = [
    ["extension", ExtExtensionType, current.extensionTypes],
    ["proposal", ExtProposalType, current.proposalTypes],
    ["psk", ExtPSKType, current.pskTypes],
    ["credential", ExtCredentialType, current.credentialTypes],
  ];
  for (const [kind, def, cfg] of pairs) {
    const t = new Map<number, number>();
    const f = new Map<number, number>();
    for (const k of Object.keys(def)) {
      t.set(def[k]!, cfg[k]!);
      f.set(cfg[k]!, def[k]!);
    }
    toWire.set(kind, t);
    fromWire.set(kind, f);
  }
}
rebuild();

/** Replaces some code points (for deployments that agreed on other values). */
export function configureExtensionCodePoints(
  overrides: {
    [K in keyof ExtensionCodePoints]?: Partial<ExtensionCodePoints[K]>;
  },
): void {
  const d = defaults();
  current = {
    extensionTypes: { ...d.extensionTypes, ...overrides.extensionTypes },
    proposalTypes: { ...d.proposalTypes, ...overrides.proposalTypes },
    pskTypes: { ...d.pskTypes, ...overrides.pskTypes },
    credentialTypes: { ...d.credentialTypes, ...overrides.credentialTypes },
  };
  rebuild();
}

export function extensionCodePoints(): ExtensionCodePoints {
  return structuredClone(current);
}

export type CodePointKind = "extension" | "proposal" | "psk" | "credential";

/** The wire value of an in-memory code point (identity for everything not in the table). */
export function wireCode(kind: CodePointKind, v: number): number {
  return toWire.get(kind)?.get(v) ?? v;
}

/**
 * The in-memory code point of a wire value, or -1 if the wire value is a default code point that
 * was configured away (it then means nothing to this deployment).
 */
export function memoryCode(kind: CodePointKind, v: number): number {
  const mapped = fromWire.get(kind)?.get(v);
  if (mapped !== undefined) return mapped;
  const t = toWire.get(kind)?.get(v);
  return t !== undefined && t !== v ? -1 : v;
}

/** The configured wire value of an extension type of the draft (extensions keep wire values). */
export function extType(name: keyof typeof ExtExtensionType): number {
  return current.extensionTypes[name];
}
