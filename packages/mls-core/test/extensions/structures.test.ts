/**
 * Every wire structure of draft-ietf-mls-extensions (editor's copy, ComponentID = uint16) against
 * bytes written out by hand from the draft's TLS definitions, plus round trips and the decoding
 * rules (sorted dictionaries and SafeAAD, valid AppDataUpdateOperation).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  AppDataUpdateOperation,
  appAckCodec,
  appDataDictionaryCodec,
  appDataDictionaryExtension,
  applicationFramingCodec,
  COMPONENT_GREASE_VALUES,
  type Codec,
  CodecError,
  ComponentId,
  type Credential,
  componentOperationLabel,
  componentsListCodec,
  componentsListEntry,
  configureExtensionCodePoints,
  credentialCodec,
  decodeBytes,
  ExtCredentialType,
  ExtExtensionType,
  ExtProposalType,
  ExtPSKType,
  encodeBytes,
  extType,
  fromHex,
  GREASE_VALUES,
  lastResortEntry,
  MLS_EXTENSIONS_REVISION,
  mediaTypeCodec,
  mediaTypeListCodec,
  type Proposal,
  preSharedKeyIDCodec,
  proposalCodec,
  safeAADCodec,
  toHex,
  utf8,
  ValidationError,
  wireFormatsCodec,
} from "../../src/index.js";

const hex = (h: string) => fromHex(h.replace(/\s+/g, ""));
const ascii = (s: string) => toHex(utf8(s));

function roundTrip<T>(codec: Codec<T>, value: T, expectedHex: string) {
  const b = encodeBytes(codec, value);
  expect(toHex(b)).toBe(expectedHex.replace(/\s+/g, ""));
  expect(decodeBytes(codec, b)).toEqual(value);
  expect(encodeBytes(codec, decodeBytes(codec, b))).toEqual(b);
}

afterEach(() => configureExtensionCodePoints({}));

describe("code points (pinned revision, decisions.md)", () => {
  it("uses the suggested code points of the editor's copy", () => {
    expect(MLS_EXTENSIONS_REVISION).toBe("mlswg/mls-extensions@589d7f9");
    expect(ExtExtensionType).toEqual({
      app_data_dictionary: 0x0006,
      supported_wire_formats: 0x0007,
      required_wire_formats: 0x0008,
    });
    expect(ExtProposalType).toEqual({
      app_data_update: 0x0008,
      app_ephemeral: 0x0009,
      self_remove: 0x000a,
    });
    expect(ExtPSKType).toEqual({ application: 3 });
    expect(ExtCredentialType).toEqual({ multi: 0x0003, weak_multi: 0x0004 });
    expect(ComponentId).toEqual({
      app_components: 1,
      safe_aad: 2,
      content_media_types: 3,
      last_resort_key_package: 4,
      app_ack: 5,
    });
  });

  it("lists the GREASE values of RFC 9420 §13.5 and, for components, only up to 0x7A7A (§3.1)", () => {
    const all = [
      0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa,
      0xbaba, 0xcaca, 0xdada, 0xeaea,
    ];
    expect(GREASE_VALUES).toEqual(all);
    expect(COMPONENT_GREASE_VALUES).toEqual(all.slice(0, 8));
  });

  it("encodes with configured code points and decodes them back to the same in-memory values", () => {
    configureExtensionCodePoints({
      proposalTypes: { app_data_update: 0xf108 },
      pskTypes: { application: 0xf3 },
    });
    const p: Proposal = { proposalType: ExtProposalType.app_data_update, componentId: 1, op: 2 };
    roundTrip(proposalCodec, p, "f108 0001 02");
    roundTrip(
      preSharedKeyIDCodec,
      { psktype: ExtPSKType.application, componentId: 1, pskId: hex("aa"), pskNonce: hex("bb") },
      "f3 0001 01aa 01bb",
    );
    // The default value of a configured-away code point means nothing any more.
    expect(() => decodeBytes(proposalCodec, hex("0008 0001 02"))).toThrow(CodecError);
  });
});

describe("§2.1 ComponentOperationLabel", () => {
  it('is TLS-encoded as base_label "MLS Component", the uint16 id and the label', () => {
    expect(toHex(componentOperationLabel(0x0102, "lbl"))).toBe(
      `0d${ascii("MLS Component")}0102 03${ascii("lbl")}`.replace(/\s+/g, ""),
    );
    expect(toHex(componentOperationLabel(0xffff, new Uint8Array(0)))).toBe(
      `0d${ascii("MLS Component")}ffff00`,
    );
  });
});

describe("§2.4 application PreSharedKeyID", () => {
  it("is psktype 3, a uint16 component_id, psk_id<V> and psk_nonce<V>", () => {
    roundTrip(
      preSharedKeyIDCodec,
      {
        psktype: ExtPSKType.application,
        componentId: 0x8001,
        pskId: utf8("id"),
        pskNonce: hex("ff"),
      },
      `03 8001 02${ascii("id")} 01ff`,
    );
  });

  it("refuses a truncated component_id", () => {
    expect(() => decodeBytes(preSharedKeyIDCodec, hex("03 80"))).toThrow(CodecError);
  });
});

describe("§2.5 app_data_dictionary", () => {
  it("encodes ComponentData entries in a vector", () => {
    roundTrip(
      appDataDictionaryCodec,
      [
        { componentId: 0x0001, data: hex("aa") },
        { componentId: 0x8001, data: new Uint8Array(0) },
      ],
      "07 0001 01aa 8001 00",
    );
    roundTrip(appDataDictionaryCodec, [], "00");
  });

  it("refuses entries out of order or repeated (MUST be sorted, at most one per id)", () => {
    expect(() => decodeBytes(appDataDictionaryCodec, hex("06 0002 00 0001 00"))).toThrow(
      CodecError,
    );
    expect(() => decodeBytes(appDataDictionaryCodec, hex("06 0001 00 0001 00"))).toThrow(
      CodecError,
    );
  });

  it("the extension builder sorts entries and refuses duplicates", () => {
    const e = appDataDictionaryExtension([
      { componentId: 9, data: hex("09") },
      { componentId: 3, data: hex("03") },
    ]);
    expect(e.extensionType).toBe(0x0006);
    expect(toHex(e.extensionData)).toBe("080003010300090109");
    expect(() =>
      appDataDictionaryExtension([
        { componentId: 3, data: hex("") },
        { componentId: 3, data: hex("01") },
      ]),
    ).toThrow(ValidationError);
    expect(extType("app_data_dictionary")).toBe(e.extensionType);
  });
});

describe("§2.6 / §2.7 / §4.3 proposals", () => {
  it("AppDataUpdate update and remove", () => {
    roundTrip<Proposal>(
      proposalCodec,
      {
        proposalType: ExtProposalType.app_data_update,
        componentId: 0x8001,
        op: AppDataUpdateOperation.update,
        update: utf8("hi"),
      },
      `0008 8001 01 02${ascii("hi")}`,
    );
    roundTrip<Proposal>(
      proposalCodec,
      {
        proposalType: ExtProposalType.app_data_update,
        componentId: 0x8001,
        op: AppDataUpdateOperation.remove,
      },
      "0008 8001 02",
    );
  });

  it("AppDataUpdate with the invalid(0) or an unknown operation is malformed", () => {
    expect(() => decodeBytes(proposalCodec, hex("0008 8001 00"))).toThrow(CodecError);
    expect(() => decodeBytes(proposalCodec, hex("0008 8001 03 00"))).toThrow(CodecError);
    // A remove carries no body: a trailing byte is malformed.
    expect(() => decodeBytes(proposalCodec, hex("0008 8001 02 00"))).toThrow(CodecError);
  });

  it("AppEphemeral and SelfRemove", () => {
    roundTrip<Proposal>(
      proposalCodec,
      { proposalType: ExtProposalType.app_ephemeral, componentId: 5, data: hex("0102") },
      "0009 0005 02 0102",
    );
    roundTrip<Proposal>(proposalCodec, { proposalType: ExtProposalType.self_remove }, "000a");
  });
});

describe("§2.8 SafeAAD", () => {
  it("is a vector of (component_id, aad_item_data<V>)", () => {
    roundTrip(
      safeAADCodec,
      [
        { componentId: 2, data: utf8("a") },
        { componentId: 0x8000, data: new Uint8Array(0) },
      ],
      `07 0002 01${ascii("a")} 8000 00`,
    );
    roundTrip(safeAADCodec, [], "00");
  });

  it("refuses items that are not in strictly increasing component_id order", () => {
    expect(() => decodeBytes(safeAADCodec, hex("06 0003 00 0002 00"))).toThrow(CodecError);
    expect(() => decodeBytes(safeAADCodec, hex("06 0002 00 0002 00"))).toThrow(CodecError);
  });
});

describe("§3 WireFormats and ComponentsList", () => {
  it("WireFormats is a vector of uint16", () => {
    roundTrip(wireFormatsCodec, [0x0007, 0xf000], "04 0007 f000");
  });

  it("ComponentsList is a vector of uint16 ComponentIDs; the dictionary entry sorts and dedups", () => {
    roundTrip(componentsListCodec, [1, 2, 0x8001], "06 0001 0002 8001");
    expect(() => decodeBytes(componentsListCodec, hex("03 0001 00"))).toThrow(CodecError);
    const e = componentsListEntry(ComponentId.app_components, [0x8001, 1, 0x8001]);
    expect(e.componentId).toBe(1);
    expect(toHex(e.data)).toBe("0400018001");
  });
});

describe("§4.1 AppAck, §4.2 media types, §4.4 last resort", () => {
  it("AppAck is a vector of MessageRange{uint32 sender, first_generation, last_generation}", () => {
    roundTrip(
      appAckCodec,
      [{ sender: 1, firstGeneration: 2, lastGeneration: 3 }],
      "0c 00000001 00000002 00000003",
    );
  });

  it("MediaType, MediaTypeList and ApplicationFraming", () => {
    const textPlain = {
      type: utf8("text/plain"),
      parameters: [{ name: utf8("charset"), value: utf8("UTF-8") }],
    };
    const mt = `0a${ascii("text/plain")} 0e 07${ascii("charset")} 05${ascii("UTF-8")}`;
    roundTrip(mediaTypeCodec, textPlain, mt);
    const json = { type: utf8("application/json"), parameters: [] };
    const jt = `10${ascii("application/json")} 00`;
    roundTrip(mediaTypeListCodec, [textPlain, json], `2c ${mt} ${jt}`);
    roundTrip(
      applicationFramingCodec,
      { mediaType: { type: new Uint8Array(0), parameters: [] }, content: utf8("hi") },
      `00 00 02${ascii("hi")}`,
    );
  });

  it("a last-resort marker is the component with empty data", () => {
    expect(lastResortEntry()).toEqual({ componentId: 4, data: new Uint8Array(0) });
  });
});

describe("§4.5 multi-credentials", () => {
  const basic = (id: string): Credential => ({ credentialType: 1, identity: utf8(id) });
  it.each([
    ["multi", ExtCredentialType.multi, "0003"],
    ["weak-multi", ExtCredentialType.weak_multi, "0004"],
  ] as const)(
    "%s: a vector of CredentialBinding{suite, credential, credential_key, signature}",
    (_, t, code) => {
      const c: Credential = {
        credentialType: t,
        bindings: [
          {
            cipherSuite: 1,
            credential: basic("a"),
            credentialKey: hex("0102"),
            signature: hex("03"),
          },
        ],
      };
      // binding: 0001 | 0001 01 61 | 02 0102 | 01 03  = 2 + 4 + 3 + 2 = 11 bytes
      roundTrip(credentialCodec, c, `${code} 0b 0001 0001 01${ascii("a")} 02 0102 01 03`);
    },
  );

  it("refuses a binding that runs past its vector", () => {
    expect(() => decodeBytes(credentialCodec, hex("0003 05 0001 0001 01 61"))).toThrow(CodecError);
  });
});
