import type { Codec } from "../codec/codec.js";
import { type PreSharedKeyID, preSharedKeyIDCodec } from "./psk.js";
import { type HPKECiphertext, hpkeCiphertextCodec } from "./updatePath.js";

/** RFC 9420 §12.4.3.1 GroupSecrets (`path_secret` is optional<PathSecret>). */
export interface GroupSecrets {
  readonly joinerSecret: Uint8Array;
  readonly pathSecret?: Uint8Array | undefined;
  readonly psks: PreSharedKeyID[];
}

export const groupSecretsCodec: Codec<GroupSecrets> = {
  encode(w, g) {
    w.opaque(g.joinerSecret);
    w.optional(g.pathSecret, (w2, s) => w2.opaque(s));
    w.vector(g.psks, preSharedKeyIDCodec.encode);
  },
  decode(r) {
    const joinerSecret = r.opaque();
    const pathSecret = r.optional((r2) => r2.opaque());
    const psks = r.vector(preSharedKeyIDCodec.decode);
    return pathSecret === undefined ? { joinerSecret, psks } : { joinerSecret, pathSecret, psks };
  },
};

/** RFC 9420 §12.4.3.1 EncryptedGroupSecrets. */
export interface EncryptedGroupSecrets {
  readonly newMember: Uint8Array;
  readonly encryptedGroupSecrets: HPKECiphertext;
}

export const encryptedGroupSecretsCodec: Codec<EncryptedGroupSecrets> = {
  encode(w, e) {
    w.opaque(e.newMember);
    hpkeCiphertextCodec.encode(w, e.encryptedGroupSecrets);
  },
  decode(r) {
    return { newMember: r.opaque(), encryptedGroupSecrets: hpkeCiphertextCodec.decode(r) };
  },
};

/** RFC 9420 §12.4.3.1 Welcome. */
export interface Welcome {
  readonly cipherSuite: number;
  readonly secrets: EncryptedGroupSecrets[];
  readonly encryptedGroupInfo: Uint8Array;
}

export const welcomeCodec: Codec<Welcome> = {
  encode(w, m) {
    w.u16(m.cipherSuite);
    w.vector(m.secrets, encryptedGroupSecretsCodec.encode);
    w.opaque(m.encryptedGroupInfo);
  },
  decode(r) {
    return {
      cipherSuite: r.u16(),
      secrets: r.vector(encryptedGroupSecretsCodec.decode),
      encryptedGroupInfo: r.opaque(),
    };
  },
};
