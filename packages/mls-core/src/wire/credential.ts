import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { ExtCredentialType, memoryCode, wireCode } from "../extensions/codepoints.js";
import { CredentialType } from "./enums.js";

/** draft-ietf-mls-extensions §4.5 CredentialBinding. */
export interface CredentialBinding {
  readonly cipherSuite: number;
  readonly credential: Credential;
  readonly credentialKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** RFC 9420 §5.3 Credential, plus the multi-credentials of draft-ietf-mls-extensions §4.5. */
export type Credential =
  | { readonly credentialType: typeof CredentialType.basic; readonly identity: Uint8Array }
  | { readonly credentialType: typeof CredentialType.x509; readonly certificates: Uint8Array[] }
  | {
      readonly credentialType: typeof ExtCredentialType.multi | typeof ExtCredentialType.weak_multi;
      readonly bindings: CredentialBinding[];
    };

export const credentialBindingCodec: Codec<CredentialBinding> = {
  encode(w, b) {
    w.u16(b.cipherSuite);
    credentialCodec.encode(w, b.credential);
    w.opaque(b.credentialKey);
    w.opaque(b.signature);
  },
  decode(r) {
    return {
      cipherSuite: r.u16(),
      credential: credentialCodec.decode(r),
      credentialKey: r.opaque(),
      signature: r.opaque(),
    };
  },
};

export const credentialCodec: Codec<Credential> = {
  encode(w, c) {
    w.u16(wireCode("credential", c.credentialType));
    if (c.credentialType === CredentialType.basic) w.opaque(c.identity);
    else if (c.credentialType === CredentialType.x509)
      w.vector(c.certificates, (w2, cert) => w2.opaque(cert));
    else w.vector(c.bindings, credentialBindingCodec.encode);
  },
  decode(r) {
    const t = memoryCode("credential", r.u16());
    switch (t) {
      case CredentialType.basic:
        return { credentialType: t, identity: r.opaque() };
      case CredentialType.x509:
        return { credentialType: t, certificates: r.vector((r2) => r2.opaque()) };
      case ExtCredentialType.multi:
      case ExtCredentialType.weak_multi:
        return { credentialType: t, bindings: r.vector(credentialBindingCodec.decode) };
      default:
        // A Credential of an unknown type has no length prefix, so it cannot be skipped.
        throw new CodecError(`unsupported credential type ${t}`);
    }
  },
};

export function basicCredential(identity: Uint8Array): Credential {
  return { credentialType: CredentialType.basic, identity };
}
