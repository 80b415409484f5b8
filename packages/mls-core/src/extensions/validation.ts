import { decodeBytes } from "../codec/codec.js";
import { CodecError, ValidationError } from "../errors.js";
import { type Extension, findExtension } from "../wire/extension.js";
import { ComponentId, extType } from "./codepoints.js";
import {
  appDataDictionaryCodec,
  type ComponentData,
  type ComponentID,
  componentsListCodec,
  mediaTypeListCodec,
} from "./wire.js";

/**
 * Checks of received `app_data_dictionary` extensions (draft-ietf-mls-extensions §2.5) and of
 * the components this package understands (§3, §4.2, §4.4). Unknown component ids, GREASE
 * included, are ignored (§3.1); a known component is checked only where the draft defines it,
 * since the draft leaves the "Where" of a component to the application.
 */

const X = "draft-ietf-mls-extensions";

/** Where a dictionary was found. */
export type DictionaryCarrier = "LeafNode" | "KeyPackage" | "GroupContext" | "GroupInfo";

function decodeOrFail<T>(rule: string, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof CodecError)
      throw new ValidationError(rule, `${what} is malformed: ${e.message}`);
    throw e;
  }
}

/**
 * §2.5: the dictionary (if any) decodes, is sorted by component_id with at most one entry per id;
 * `app_components` / `safe_aad` hold a ComponentsList and `content_media_types` a non-empty
 * MediaTypeList (LeafNode, GroupContext); `last_resort_key_package` is empty (KeyPackage).
 * Returns the entries, or undefined when there is no dictionary.
 */
export function validateAppDataDictionary(
  extensions: readonly Extension[],
  carrier: DictionaryCarrier,
): ComponentData[] | undefined {
  const e = findExtension(extensions, extType("app_data_dictionary"));
  if (e === undefined) return undefined;
  const entries = decodeOrFail(`${X} §2.5`, `the ${carrier}'s app_data_dictionary`, () =>
    decodeBytes(appDataDictionaryCodec, e.extensionData),
  );
  const perMember = carrier === "LeafNode" || carrier === "GroupContext";
  for (const { componentId, data } of entries) {
    if (
      perMember &&
      (componentId === ComponentId.app_components || componentId === ComponentId.safe_aad)
    )
      decodeOrFail(`${X} §3`, `component ${componentId} of the ${carrier}`, () =>
        decodeBytes(componentsListCodec, data),
      );
    else if (perMember && componentId === ComponentId.content_media_types) {
      const list = decodeOrFail(`${X} §4.2`, `content_media_types of the ${carrier}`, () =>
        decodeBytes(mediaTypeListCodec, data),
      );
      if (list.length === 0)
        throw new ValidationError(`${X} §4.2`, "a MediaTypeList holds at least one media type");
    } else if (
      carrier === "KeyPackage" &&
      componentId === ComponentId.last_resort_key_package &&
      data.length !== 0
    )
      throw new ValidationError(`${X} §4.4`, "a last_resort_key_package entry has empty data");
  }
  return entries;
}

function listOf(
  entries: readonly ComponentData[] | undefined,
  which: ComponentID,
): ComponentID[] | undefined {
  const d = entries?.find((x) => x.componentId === which)?.data;
  return d === undefined ? undefined : decodeBytes(componentsListCodec, d);
}

/**
 * §3: the `app_components` and `safe_aad` lists of the GroupContext name components "that must be
 * understood by the entire group"; a leaf supports them if its own lists (in its LeafNode
 * dictionary) contain every one. Returns the first component the leaf lacks, or undefined.
 */
export function missingRequiredComponent(
  leafExtensions: readonly Extension[],
  groupContextExtensions: readonly Extension[],
): { list: "app_components" | "safe_aad"; componentId: ComponentID } | undefined {
  const gc = validateAppDataDictionary(groupContextExtensions, "GroupContext");
  if (gc === undefined) return undefined;
  let leaf: ComponentData[] | undefined;
  let leafRead = false;
  for (const [list, id] of [
    ["app_components", ComponentId.app_components],
    ["safe_aad", ComponentId.safe_aad],
  ] as const) {
    const required = listOf(gc, id);
    if (required === undefined || required.length === 0) continue;
    if (!leafRead) {
      leaf = validateAppDataDictionary(leafExtensions, "LeafNode");
      leafRead = true;
    }
    const supported = new Set(listOf(leaf, id) ?? []);
    for (const c of required) if (!supported.has(c)) return { list, componentId: c };
  }
  return undefined;
}
