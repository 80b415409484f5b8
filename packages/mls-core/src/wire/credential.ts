import type { Codec } from "../codec/codec.js";
import type { Reader } from "../codec/reader.js";
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
    return decodeBinding(r, 1);
  },
};

/**
 * How deep multi-credentials may nest inside each other's bindings. draft-ietf-mls-extensions
 * §4.5 sets no bound, but the decoder recurses once per level, so without one a few dozen KB of
 * nested bindings would exhaust the stack; no real credential nests more than once or twice.
 */
export const MAX_CREDENTIAL_NESTING = 16;

function decodeBinding(r: Reader, depth: number): CredentialBinding {
  return {
    cipherSuite: r.u16(),
    credential: decodeCredential(r, depth),
    credentialKey: r.opaque(),
    signature: r.opaque(),
  };
}

function decodeCredential(r: Reader, depth: number): Credential {
  const t = memoryCode("credential", r.u16());
  switch (t) {
    case CredentialType.basic:
      return { credentialType: t, identity: r.opaque() };
    case CredentialType.x509:
      return { credentialType: t, certificates: r.vector((r2) => r2.opaque()) };
    case ExtCredentialType.multi:
    case ExtCredentialType.weak_multi:
      if (depth >= MAX_CREDENTIAL_NESTING)
        throw new CodecError(
          `multi-credential nested more than ${MAX_CREDENTIAL_NESTING} levels deep`,
        );
      return { credentialType: t, bindings: r.vector((r2) => decodeBinding(r2, depth + 1)) };
    default:
      // A Credential of an unknown type has no length prefix, so it cannot be skipped.
      throw new CodecError(`unsupported credential type ${t}`);
  }
}

export const credentialCodec: Codec<Credential> = {
  encode(w, c) {
    w.u16(wireCode("credential", c.credentialType));
    if (c.credentialType === CredentialType.basic) w.opaque(c.identity);
    else if (c.credentialType === CredentialType.x509)
      w.vector(c.certificates, (w2, cert) => w2.opaque(cert));
    else w.vector(c.bindings, credentialBindingCodec.encode);
  },
  decode(r) {
    return decodeCredential(r, 0);
  },
};

export function basicCredential(identity: Uint8Array): Credential {
  return { credentialType: CredentialType.basic, identity };
}
