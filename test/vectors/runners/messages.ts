import {
  type Codec,
  ContentType,
  commitCodec,
  decodeBytes,
  encodeBytes,
  extensionsCodec,
  groupSecretsCodec,
  keyPackageCodec,
  leafNodeCodec,
  mlsMessageCodec,
  opaque,
  preSharedKeyIDCodec,
  ratchetTreeCodec,
  reInitCodec,
  uint32,
  WireFormat,
} from "@hpqmls/mls-core";
import { expectEqual, expectEqualBytes, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";

/** Field → codec of the structure it holds (test-vectors.md, "Messages"). */
const FIELDS: [string, Codec<unknown>][] = [
  ["mls_welcome", mlsMessageCodec as Codec<unknown>],
  ["mls_group_info", mlsMessageCodec as Codec<unknown>],
  ["mls_key_package", mlsMessageCodec as Codec<unknown>],
  ["ratchet_tree", ratchetTreeCodec as Codec<unknown>],
  ["group_secrets", groupSecretsCodec as Codec<unknown>],
  ["add_proposal", keyPackageCodec as Codec<unknown>],
  ["update_proposal", leafNodeCodec as Codec<unknown>],
  ["remove_proposal", uint32 as Codec<unknown>],
  ["pre_shared_key_proposal", preSharedKeyIDCodec as Codec<unknown>],
  ["re_init_proposal", reInitCodec as Codec<unknown>],
  ["external_init_proposal", opaque as Codec<unknown>],
  ["group_context_extensions_proposal", extensionsCodec as Codec<unknown>],
  ["commit", commitCodec as Codec<unknown>],
  ["public_message_application", mlsMessageCodec as Codec<unknown>],
  ["public_message_proposal", mlsMessageCodec as Codec<unknown>],
  ["public_message_commit", mlsMessageCodec as Codec<unknown>],
  ["private_message", mlsMessageCodec as Codec<unknown>],
];

const EXPECTED_WIRE_FORMAT: Record<string, number> = {
  mls_welcome: WireFormat.mls_welcome,
  mls_group_info: WireFormat.mls_group_info,
  mls_key_package: WireFormat.mls_key_package,
  public_message_application: WireFormat.mls_public_message,
  public_message_proposal: WireFormat.mls_public_message,
  public_message_commit: WireFormat.mls_public_message,
  private_message: WireFormat.mls_private_message,
};

const EXPECTED_CONTENT_TYPE: Record<string, number> = {
  public_message_application: ContentType.application,
  public_message_proposal: ContentType.proposal,
  public_message_commit: ContentType.commit,
};

export const messages: VectorRunner = {
  name: "messages",
  async runCase(c) {
    const f = new Fields(c);
    for (const [field, codec] of FIELDS) {
      const bytes = f.hex(field);
      let value: unknown;
      try {
        value = decodeBytes(codec, bytes);
      } catch (e) {
        throw new Error(`${field}: does not decode: ${(e as Error).message}`);
      }
      expectEqualBytes(`${field} re-encoded`, encodeBytes(codec, value, bytes.length), bytes);
      const wf = EXPECTED_WIRE_FORMAT[field];
      if (wf !== undefined) {
        const m = value as {
          wireFormat: number;
          publicMessage?: { content: { contentType: number } };
        };
        expectEqual(`${field} wire_format`, m.wireFormat, wf);
        const ct = EXPECTED_CONTENT_TYPE[field];
        if (ct !== undefined)
          expectEqual(`${field} content_type`, m.publicMessage?.content.contentType, ct);
      }
    }
  },
};
