import { type Codec, decodeBytes, encodeBytes } from "../codec/codec.js";
import { ValidationError } from "../errors.js";

/** RFC 9420 §13 Extension: a type and opaque data, so unknown extensions round-trip. */
export interface Extension {
  readonly extensionType: number;
  readonly extensionData: Uint8Array;
}

export const extensionCodec: Codec<Extension> = {
  encode(w, e) {
    w.u16(e.extensionType);
    w.opaque(e.extensionData);
  },
  decode(r) {
    return { extensionType: r.u16(), extensionData: r.opaque() };
  },
};

export const extensionsCodec: Codec<Extension[]> = {
  encode: (w, v) => w.vector(v, extensionCodec.encode),
  decode: (r) => r.vector(extensionCodec.decode),
};

export function findExtension(
  extensions: readonly Extension[],
  type: number,
): Extension | undefined {
  for (const e of extensions) if (e.extensionType === type) return e;
  return undefined;
}

/** Decodes the data of the extension of `type`, or returns undefined if absent. */
export function getExtension<T>(
  extensions: readonly Extension[],
  type: number,
  codec: Codec<T>,
): T | undefined {
  const e = findExtension(extensions, type);
  return e === undefined ? undefined : decodeBytes(codec, e.extensionData);
}

export function makeExtension<T>(type: number, codec: Codec<T>, value: T): Extension {
  return { extensionType: type, extensionData: encodeBytes(codec, value) };
}

/** §13.4: "no two extensions of the same type" within one extensions list. */
export function checkUniqueExtensions(extensions: readonly Extension[], where: string): void {
  const seen = new Set<number>();
  for (const e of extensions) {
    if (seen.has(e.extensionType))
      throw new ValidationError(
        "RFC9420 §13.4",
        `${where} contains more than one extension of type ${e.extensionType}`,
      );
    seen.add(e.extensionType);
  }
}
