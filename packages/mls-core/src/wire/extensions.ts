import type { Codec } from "../codec/codec.js";
import type { Writer } from "../codec/writer.js";
import { type Credential, credentialCodec } from "./credential.js";

/**
 * Payloads of the extensions RFC 9420 defines (§12.1.8.1, §11.1, §12.4.3.2, §5.3.3). The
 * `ratchet_tree` payload lives in node.ts.
 */

/** §11.1 RequiredCapabilities. */
export interface RequiredCapabilities {
  readonly extensionTypes: number[];
  readonly proposalTypes: number[];
  readonly credentialTypes: number[];
}

const u16 = (w: Writer, v: number) => w.u16(v);

export const requiredCapabilitiesCodec: Codec<RequiredCapabilities> = {
  encode(w, c) {
    w.vector(c.extensionTypes, u16);
    w.vector(c.proposalTypes, u16);
    w.vector(c.credentialTypes, u16);
  },
  decode(r) {
    const u = () => r.u16();
    return {
      extensionTypes: r.vector(u),
      proposalTypes: r.vector(u),
      credentialTypes: r.vector(u),
    };
  },
};

/** §12.4.3.2 ExternalPub: `HPKEPublicKey external_pub` (an opaque<V>). */
export const externalPubCodec: Codec<Uint8Array> = {
  encode: (w, v) => w.opaque(v),
  decode: (r) => r.opaque(),
};

/** §12.1.8.1 ExternalSender. */
export interface ExternalSender {
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
}

export const externalSenderCodec: Codec<ExternalSender> = {
  encode(w, s) {
    w.opaque(s.signatureKey);
    credentialCodec.encode(w, s.credential);
  },
  decode(r) {
    return { signatureKey: r.opaque(), credential: credentialCodec.decode(r) };
  },
};

/** §12.1.8.1 `ExternalSender external_senders<V>`. */
export const externalSendersCodec: Codec<ExternalSender[]> = {
  encode: (w, v) => w.vector(v, externalSenderCodec.encode),
  decode: (r) => r.vector(externalSenderCodec.decode),
};

/** §5.3.3 application_id: `opaque application_id<V>`. */
export const applicationIdCodec: Codec<Uint8Array> = {
  encode: (w, v) => w.opaque(v),
  decode: (r) => r.opaque(),
};
