import type { Codec } from "../codec/codec.js";
import { CodecError } from "../errors.js";
import { CredentialType } from "./enums.js";

/** RFC 9420 §5.3 Credential. */
export type Credential =
  | { readonly credentialType: typeof CredentialType.basic; readonly identity: Uint8Array }
  | { readonly credentialType: typeof CredentialType.x509; readonly certificates: Uint8Array[] };

export const credentialCodec: Codec<Credential> = {
  encode(w, c) {
    w.u16(c.credentialType);
    if (c.credentialType === CredentialType.basic) w.opaque(c.identity);
    else w.vector(c.certificates, (w2, cert) => w2.opaque(cert));
  },
  decode(r) {
    const t = r.u16();
    switch (t) {
      case CredentialType.basic:
        return { credentialType: t, identity: r.opaque() };
      case CredentialType.x509:
        return { credentialType: t, certificates: r.vector((r2) => r2.opaque()) };
      default:
        // A Credential of an unknown type has no length prefix, so it cannot be skipped.
        throw new CodecError(`unsupported credential type ${t}`);
    }
  },
};

export function basicCredential(identity: Uint8Array): Credential {
  return { credentialType: CredentialType.basic, identity };
}
