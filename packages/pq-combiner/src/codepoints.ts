/**
 * Code points of draft-ietf-mls-combiner (editor's copy mlswg/mls-combiner@70d6be0). All are
 * provisional ("suggested", not assigned by IANA) and configurable, once, before use.
 */

/** The combiner revision this package implements. */
export const APQ_MLS_REVISION = "mlswg/mls-combiner@70d6be0" as const;

export interface ApqCodePoints {
  /** `apq_mls_info` component (MLS Component Types registry). */
  componentId: number;
  /** `apq_message_pair` wire format (MLS Wire Formats registry). */
  messagePairWireFormat: number;
}

const DEFAULTS: ApqCodePoints = { componentId: 0x0006, messagePairWireFormat: 0x0007 };
let current: ApqCodePoints = { ...DEFAULTS };

export function apqCodePoints(): Readonly<ApqCodePoints> {
  return current;
}

/** Overrides code points; call before any session is created or message decoded. */
export function configureApqCodePoints(overrides: Partial<ApqCodePoints>): void {
  current = { ...DEFAULTS, ...overrides };
}
