import type { Codec } from "../codec/codec.js";
import { Writer } from "../codec/writer.js";
import { CodecError } from "../errors.js";
import { utf8 } from "../util/bytes.js";

/**
 * Wire structures of draft-ietf-mls-extensions (editor's copy, ComponentID = uint16) that do not
 * extend RFC 9420's own unions. Proposal bodies, the application PSK id and multi-credentials live
 * with the RFC structures they extend.
 */

export type ComponentID = number;

const u16 = (w: Writer, v: number) => w.u16(v);

/** §2.1 ComponentOperationLabel, base_label "MLS Component". */
export const COMPONENT_BASE_LABEL = utf8("MLS Component");

export function componentOperationLabel(
  componentId: ComponentID,
  label: string | Uint8Array,
): Uint8Array {
  const w = new Writer(64);
  w.opaque(COMPONENT_BASE_LABEL);
  w.u16(componentId);
  w.opaque(typeof label === "string" ? utf8(label) : label);
  return w.finish();
}

/** §2.5 ComponentData. */
export interface ComponentData {
  readonly componentId: ComponentID;
  readonly data: Uint8Array;
}

/** §2.5 AppDataDictionary: entries sorted by component_id, at most one per id. */
export const appDataDictionaryCodec: Codec<ComponentData[]> = {
  encode(w, entries) {
    w.vector(entries, (w2, e) => {
      w2.u16(e.componentId);
      w2.opaque(e.data);
    });
  },
  decode(r) {
    const entries = r.vector((r2) => ({ componentId: r2.u16(), data: r2.opaque() }));
    for (let i = 1; i < entries.length; i++)
      if (entries[i]!.componentId <= entries[i - 1]!.componentId)
        throw new CodecError(
          "app_data_dictionary entries must be sorted by component_id and unique",
        );
    return entries;
  },
};

/** §3 ComponentsList (the `app_components` and `safe_aad` components). */
export const componentsListCodec: Codec<ComponentID[]> = {
  encode: (w, v) => w.vector(v, u16),
  decode: (r) => r.vector((r2) => r2.u16()),
};

/** §3 WireFormats (`supported_wire_formats`, `required_wire_formats`). */
export const wireFormatsCodec: Codec<number[]> = {
  encode: (w, v) => w.vector(v, u16),
  decode: (r) => r.vector((r2) => r2.u16()),
};

/** §2.8 SafeAADItem / SafeAAD. */
export interface SafeAADItem {
  readonly componentId: ComponentID;
  readonly data: Uint8Array;
}

export const safeAADCodec: Codec<SafeAADItem[]> = {
  encode(w, items) {
    w.vector(items, (w2, i) => {
      w2.u16(i.componentId);
      w2.opaque(i.data);
    });
  },
  decode(r) {
    const items = r.vector((r2) => ({ componentId: r2.u16(), data: r2.opaque() }));
    for (let i = 1; i < items.length; i++)
      if (items[i]!.componentId <= items[i - 1]!.componentId)
        throw new CodecError("SafeAAD items must be sorted by increasing component_id");
    return items;
  },
};

/** §4.1 AppAck. */
export interface MessageRange {
  readonly sender: number;
  readonly firstGeneration: number;
  readonly lastGeneration: number;
}

export const appAckCodec: Codec<MessageRange[]> = {
  encode(w, ranges) {
    w.vector(ranges, (w2, m) => {
      w2.u32(m.sender);
      w2.u32(m.firstGeneration);
      w2.u32(m.lastGeneration);
    });
  },
  decode(r) {
    return r.vector((r2) => ({
      sender: r2.u32(),
      firstGeneration: r2.u32(),
      lastGeneration: r2.u32(),
    }));
  },
};

/** §4.2 content advertisement: Parameter, MediaType, MediaTypeList, ApplicationFraming. */
export interface MediaTypeParameter {
  readonly name: Uint8Array;
  readonly value: Uint8Array;
}

export interface MediaType {
  readonly type: Uint8Array;
  readonly parameters: MediaTypeParameter[];
}

export const mediaTypeCodec: Codec<MediaType> = {
  encode(w, m) {
    w.opaque(m.type);
    w.vector(m.parameters, (w2, p) => {
      w2.opaque(p.name);
      w2.opaque(p.value);
    });
  },
  decode(r) {
    return {
      type: r.opaque(),
      parameters: r.vector((r2) => ({ name: r2.opaque(), value: r2.opaque() })),
    };
  },
};

export const mediaTypeListCodec: Codec<MediaType[]> = {
  encode: (w, v) => w.vector(v, mediaTypeCodec.encode),
  decode: (r) => r.vector(mediaTypeCodec.decode),
};

export interface ApplicationFraming {
  readonly mediaType: MediaType;
  readonly content: Uint8Array;
}

export const applicationFramingCodec: Codec<ApplicationFraming> = {
  encode(w, f) {
    mediaTypeCodec.encode(w, f.mediaType);
    w.opaque(f.content);
  },
  decode(r) {
    return { mediaType: mediaTypeCodec.decode(r), content: r.opaque() };
  },
};
