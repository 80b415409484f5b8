import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { ProtocolVersion, WireFormat } from "./enums.js";
import {
  type PrivateMessage,
  type PublicMessage,
  privateMessageCodec,
  publicMessageCodec,
} from "./framing.js";
import { type GroupInfo, groupInfoCodec } from "./groupInfo.js";
import { type KeyPackage, keyPackageCodec } from "./keyPackage.js";
import { type Welcome, welcomeCodec } from "./welcome.js";

/** RFC 9420 §6 MLSMessage, one variant per wire format of §17.2. */
export type MLSMessage = { readonly version: number } & (
  | {
      readonly wireFormat: typeof WireFormat.mls_public_message;
      readonly publicMessage: PublicMessage;
    }
  | {
      readonly wireFormat: typeof WireFormat.mls_private_message;
      readonly privateMessage: PrivateMessage;
    }
  | { readonly wireFormat: typeof WireFormat.mls_welcome; readonly welcome: Welcome }
  | { readonly wireFormat: typeof WireFormat.mls_group_info; readonly groupInfo: GroupInfo }
  | { readonly wireFormat: typeof WireFormat.mls_key_package; readonly keyPackage: KeyPackage }
);

export const mlsMessageCodec: Codec<MLSMessage> = {
  encode(w, m) {
    w.u16(m.version);
    w.u16(m.wireFormat);
    switch (m.wireFormat) {
      case WireFormat.mls_public_message:
        publicMessageCodec.encode(w, m.publicMessage);
        break;
      case WireFormat.mls_private_message:
        privateMessageCodec.encode(w, m.privateMessage);
        break;
      case WireFormat.mls_welcome:
        welcomeCodec.encode(w, m.welcome);
        break;
      case WireFormat.mls_group_info:
        groupInfoCodec.encode(w, m.groupInfo);
        break;
      case WireFormat.mls_key_package:
        keyPackageCodec.encode(w, m.keyPackage);
        break;
    }
  },
  decode(r) {
    const version = r.u16();
    if (version !== ProtocolVersion.mls10)
      throw new CodecError(`unsupported protocol version ${version}`);
    const wf = r.u16();
    switch (wf) {
      case WireFormat.mls_public_message:
        return { version, wireFormat: wf, publicMessage: publicMessageCodec.decode(r) };
      case WireFormat.mls_private_message:
        return { version, wireFormat: wf, privateMessage: privateMessageCodec.decode(r) };
      case WireFormat.mls_welcome:
        return { version, wireFormat: wf, welcome: welcomeCodec.decode(r) };
      case WireFormat.mls_group_info:
        return { version, wireFormat: wf, groupInfo: groupInfoCodec.decode(r) };
      case WireFormat.mls_key_package:
        return { version, wireFormat: wf, keyPackage: keyPackageCodec.decode(r) };
      default:
        throw new CodecError(`unsupported wire format ${wf}`);
    }
  },
};

/**
 * Wire formats beyond RFC 9420's five (§17.2 registry), registered by packages built on mls-core
 * (e.g. the combiner's `apq_message_pair`). `anyMessageCodec` decodes both kinds.
 */
export interface CustomWireFormat<T> {
  readonly wireFormat: number;
  readonly name: string;
  readonly codec: Codec<T>;
}

const customWireFormats = new Map<number, CustomWireFormat<unknown>>();

export function registerWireFormat<T>(format: CustomWireFormat<T>): void {
  const wf = format.wireFormat;
  if (!Number.isInteger(wf) || wf < 6 || wf > 0xffff)
    throw new CodecError(`wire format ${wf} cannot be registered (1–5 are RFC 9420's own)`);
  const existing = customWireFormats.get(wf);
  if (existing !== undefined && existing !== format)
    throw new CodecError(`wire format ${wf} is already registered as ${existing.name}`);
  customWireFormats.set(wf, format as CustomWireFormat<unknown>);
}

export function registeredWireFormat(wireFormat: number): CustomWireFormat<unknown> | undefined {
  return customWireFormats.get(wireFormat);
}

/** An MLSMessage of any registered wire format. */
export type AnyMessage =
  | { readonly kind: "mls"; readonly message: MLSMessage }
  | {
      readonly kind: "custom";
      readonly version: number;
      readonly wireFormat: number;
      readonly value: unknown;
    };

export const anyMessageCodec: Codec<AnyMessage> = {
  encode(w, m) {
    if (m.kind === "mls") return mlsMessageCodec.encode(w, m.message);
    const f = customWireFormats.get(m.wireFormat);
    if (f === undefined) throw new CodecError(`wire format ${m.wireFormat} is not registered`);
    w.u16(m.version);
    w.u16(m.wireFormat);
    f.codec.encode(w, m.value);
  },
  decode(r) {
    const header = r.peek(4);
    const f = customWireFormats.get((header[2]! << 8) | header[3]!);
    if (f === undefined) return { kind: "mls", message: mlsMessageCodec.decode(r) };
    const version = r.u16();
    const wf = r.u16();
    if (version !== ProtocolVersion.mls10)
      throw new CodecError(`unsupported protocol version ${version}`);
    return { kind: "custom", version, wireFormat: wf, value: f.codec.decode(r) };
  },
};
