import { decodeBytes, encodeBytes } from "../codec/codec.js";
import { ValidationError } from "../errors.js";
import { type Extension, findExtension } from "../wire/extension.js";
import { extType } from "./codepoints.js";
import { appDataDictionaryCodec, type ComponentData, type ComponentID } from "./wire.js";

/**
 * Application components (draft-ietf-mls-extensions §2): the hooks through which application code
 * validates and applies updates to its own entry of the `app_data_dictionary`.
 */

/** What a component's hooks learn about the commit being applied. */
export interface ComponentContext {
  readonly groupId: Uint8Array;
  /** The epoch the commit creates. */
  readonly epoch: bigint;
  /** True for an external commit. */
  readonly external: boolean;
}

export interface ComponentHandler {
  /**
   * §2.6 AppDataUpdate with op `update`: the component's current data (undefined if it has
   * none) and every update for it in commit order. Returns the new data, or undefined if the
   * updates are invalid (then the whole commit is invalid).
   */
  applyUpdate?(
    current: Uint8Array | undefined,
    updates: readonly Uint8Array[],
    context: ComponentContext,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** §2.6 op `remove`: return false to refuse it (default: accepted). */
  allowRemove?(current: Uint8Array, context: ComponentContext): boolean | Promise<boolean>;
  /** §2.7 AppEphemeral: return false if the data is invalid (default: accepted). */
  ephemeral?(data: Uint8Array, context: ComponentContext): boolean | Promise<boolean>;
}

/** The AppDataDictionary carried in a list of extensions, or undefined if absent. */
export function appDataDictionary(extensions: readonly Extension[]): ComponentData[] | undefined {
  const e = findExtension(extensions, extType("app_data_dictionary"));
  return e === undefined ? undefined : decodeBytes(appDataDictionaryCodec, e.extensionData);
}

/** A component's entry in a list of extensions' app_data_dictionary. */
export function componentData(
  extensions: readonly Extension[],
  componentId: ComponentID,
): Uint8Array | undefined {
  return appDataDictionary(extensions)?.find((c) => c.componentId === componentId)?.data;
}

/** The app_data_dictionary extension for a set of entries (sorted, one per id). */
export function appDataDictionaryExtension(entries: readonly ComponentData[]): Extension {
  const sorted = [...entries].sort((a, b) => a.componentId - b.componentId);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.componentId === sorted[i - 1]!.componentId)
      throw new ValidationError(
        "draft-ietf-mls-extensions §2.5",
        "duplicate component in app_data_dictionary",
      );
  return {
    extensionType: extType("app_data_dictionary"),
    extensionData: encodeBytes(appDataDictionaryCodec, sorted),
  };
}

/**
 * Replaces (or appends, §2.6 "add one to the end of the extensions list") the
 * app_data_dictionary in a list of extensions.
 */
export function withAppDataDictionary(
  extensions: readonly Extension[],
  entries: readonly ComponentData[],
): Extension[] {
  const ext = appDataDictionaryExtension(entries);
  const i = extensions.findIndex((e) => e.extensionType === ext.extensionType);
  if (i < 0) return [...extensions, ext];
  const out = [...extensions];
  out[i] = ext;
  return out;
}
