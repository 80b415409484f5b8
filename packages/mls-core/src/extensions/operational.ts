import { decodeBytes, encodeBytes } from "../codec/codec.js";
import { ValidationError } from "../errors.js";
import type { Extension } from "../wire/extension.js";
import { findExtension } from "../wire/extension.js";
import type { KeyPackage } from "../wire/keyPackage.js";
import type { AppEphemeralProposal } from "../wire/proposal.js";
import { ComponentId, ExtProposalType } from "./codepoints.js";
import { appDataDictionary, componentData } from "./components.js";
import {
  type ApplicationFraming,
  appAckCodec,
  applicationFramingCodec,
  type ComponentData,
  type ComponentID,
  componentsListCodec,
  type MediaType,
  type MessageRange,
  mediaTypeListCodec,
} from "./wire.js";

/**
 * The operational extensions of draft-ietf-mls-extensions §4: AppAck, content advertisement,
 * last-resort KeyPackages, and the component lists of §3.
 */

const X = "draft-ietf-mls-extensions";

// ---- §3 component lists ----

/** The `app_components` (or `safe_aad`) entry listing component ids, for a dictionary. */
export function componentsListEntry(
  which: typeof ComponentId.app_components | typeof ComponentId.safe_aad,
  ids: readonly ComponentID[],
): ComponentData {
  return {
    componentId: which,
    data: encodeBytes(
      componentsListCodec,
      [...new Set(ids)].sort((a, b) => a - b),
    ),
  };
}

/** The ids listed by a dictionary's `app_components` (or `safe_aad`) entry; [] if absent. */
export function componentsList(
  extensions: readonly Extension[],
  which: typeof ComponentId.app_components | typeof ComponentId.safe_aad,
): ComponentID[] {
  const d = componentData(extensions, which);
  return d === undefined ? [] : decodeBytes(componentsListCodec, d);
}

// ---- §4.4 last resort ----

/** The legacy (extensions-03 … -05, still emitted by OpenMLS and mls-rs) last_resort extension. */
export const LEGACY_LAST_RESORT_EXTENSION = 0x000a;

/** The KeyPackage dictionary entry marking a last-resort KeyPackage (empty data). */
export function lastResortEntry(): ComponentData {
  return { componentId: ComponentId.last_resort_key_package, data: new Uint8Array(0) };
}

/** True if a KeyPackage is marked as last resort (component, or the legacy extension). */
export function isLastResortKeyPackage(kp: KeyPackage): boolean {
  const dict = appDataDictionary(kp.extensions);
  if (dict?.some((e) => e.componentId === ComponentId.last_resort_key_package)) return true;
  return findExtension(kp.extensions, LEGACY_LAST_RESORT_EXTENSION) !== undefined;
}

// ---- §4.1 AppAck ----

/** An AppEphemeral proposal carrying an AppAck (component `app_ack`). */
export function appAckProposal(ranges: readonly MessageRange[]): AppEphemeralProposal {
  for (const r of ranges)
    if (r.firstGeneration > r.lastGeneration)
      throw new ValidationError(`${X} §4.1`, "a MessageRange must not end before it starts");
  return {
    proposalType: ExtProposalType.app_ephemeral,
    componentId: ComponentId.app_ack,
    data: encodeBytes(appAckCodec, [...ranges]),
  };
}

export function parseAppAck(data: Uint8Array): MessageRange[] {
  const ranges = decodeBytes(appAckCodec, data);
  for (const r of ranges)
    if (r.firstGeneration > r.lastGeneration)
      throw new ValidationError(`${X} §4.1`, "a MessageRange ends before it starts");
  return ranges;
}

// ---- §4.2 content advertisement ----

/** The `content_media_types` entry for a LeafNode (supported) or GroupContext (required). */
export function contentMediaTypesEntry(types: readonly MediaType[]): ComponentData {
  if (types.length === 0)
    throw new ValidationError(`${X} §4.2`, "a MediaTypeList holds at least one media type");
  return {
    componentId: ComponentId.content_media_types,
    data: encodeBytes(mediaTypeListCodec, [...types]),
  };
}

export function contentMediaTypes(extensions: readonly Extension[]): MediaType[] | undefined {
  const d = componentData(extensions, ComponentId.content_media_types);
  return d === undefined ? undefined : decodeBytes(mediaTypeListCodec, d);
}

/**
 * §4.2.4: in a group whose GroupContext lists content_media_types, every application_data is an
 * ApplicationFraming. A zero-length media type means the first type of the group's list.
 */
export function frameApplicationData(framing: ApplicationFraming): Uint8Array {
  return encodeBytes(applicationFramingCodec, framing);
}

export function parseApplicationData(
  data: Uint8Array,
  groupContextExtensions: readonly Extension[],
): ApplicationFraming | undefined {
  const required = contentMediaTypes(groupContextExtensions);
  if (required === undefined) return undefined;
  const f = decodeBytes(applicationFramingCodec, data);
  if (f.mediaType.type.length === 0) {
    const first = required[0];
    if (first === undefined)
      throw new ValidationError(`${X} §4.2`, "the group lists no media type to default to");
    return { mediaType: first, content: f.content };
  }
  return f;
}
