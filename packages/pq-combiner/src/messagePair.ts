import {
  type AnyMessage,
  anyMessageCodec,
  type Codec,
  CodecError,
  ContentType,
  decodeBytes,
  encodeBytes,
  type MLSMessage,
  mlsMessageCodec,
  ProtocolVersion,
  registerWireFormat,
  ValidationError,
  WireFormat,
} from "@hpqmls/mls-core";
import { apqCodePoints } from "./codepoints.js";

/**
 * APQMessagePair (draft-ietf-mls-combiner "Wire formats"): a traditional and a PQ MLSMessage of
 * the same wire format, sent as the payload of an MLSMessage of wire format `apq_message_pair`.
 */
export interface ApqMessagePair {
  readonly wireFormat: number;
  readonly t: MLSMessage;
  readonly pq: MLSMessage;
}

const RULE = "draft-ietf-mls-combiner §Wire formats";

/** The checks every recipient makes on a pair. */
export function checkMessagePair(p: ApqMessagePair): void {
  if (p.wireFormat === apqCodePoints().messagePairWireFormat)
    throw new ValidationError(RULE, "an APQMessagePair cannot contain APQMessagePairs");
  if (p.t.wireFormat !== p.wireFormat || p.pq.wireFormat !== p.wireFormat)
    throw new ValidationError(RULE, "both messages of a pair must have the pair's wire format");
  for (const m of [p.t, p.pq])
    if (
      m.wireFormat === WireFormat.mls_private_message &&
      m.privateMessage.contentType === ContentType.application
    )
      throw new ValidationError(RULE, "a pair must not carry application messages");
  if (contentTypeOf(p.t) !== contentTypeOf(p.pq))
    throw new ValidationError(RULE, "both halves of a pair must be proposals, or both commits");
}

function contentTypeOf(m: MLSMessage): number | undefined {
  if (m.wireFormat === WireFormat.mls_private_message) return m.privateMessage.contentType;
  if (m.wireFormat === WireFormat.mls_public_message) return m.publicMessage.content.contentType;
  return undefined;
}

export const apqMessagePairCodec: Codec<ApqMessagePair> = {
  encode(w, p) {
    w.u16(p.wireFormat);
    mlsMessageCodec.encode(w, p.t);
    mlsMessageCodec.encode(w, p.pq);
  },
  decode(r) {
    const wireFormat = r.u16();
    const t = mlsMessageCodec.decode(r);
    const pq = mlsMessageCodec.decode(r);
    const p = { wireFormat, t, pq };
    try {
      checkMessagePair(p);
    } catch (e) {
      throw new CodecError((e as Error).message);
    }
    return p;
  },
};

let registeredFor = -1;

/** Registers the pair wire format with mls-core's registry (idempotent). */
export function registerApqWireFormat(): void {
  const wf = apqCodePoints().messagePairWireFormat;
  if (registeredFor === wf) return;
  registerWireFormat({ wireFormat: wf, name: "apq_message_pair", codec: apqMessagePairCodec });
  registeredFor = wf;
}

/** Encodes a pair as an MLSMessage of wire format apq_message_pair. */
export function encodeMessagePair(p: ApqMessagePair): Uint8Array {
  registerApqWireFormat();
  checkMessagePair(p);
  return encodeBytes(anyMessageCodec, {
    kind: "custom",
    version: ProtocolVersion.mls10,
    wireFormat: apqCodePoints().messagePairWireFormat,
    value: p,
  });
}

/** A message as an APQ client receives it: a pair, or a plain MLSMessage. */
export type ApqIncoming =
  | { readonly kind: "pair"; readonly pair: ApqMessagePair }
  | { readonly kind: "plain"; readonly message: MLSMessage };

export function decodeApqMessage(bytes: Uint8Array): ApqIncoming {
  registerApqWireFormat();
  const m: AnyMessage = decodeBytes(anyMessageCodec, bytes);
  if (m.kind === "mls") return { kind: "plain", message: m.message };
  if (m.wireFormat !== apqCodePoints().messagePairWireFormat)
    throw new CodecError(`unexpected wire format ${m.wireFormat}`);
  return { kind: "pair", pair: m.value as ApqMessagePair };
}
