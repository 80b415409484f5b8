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
