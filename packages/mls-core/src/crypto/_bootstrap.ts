// TEMPORARY Node-only provider used while the real provider is being written. Do not ship.
import * as nc from "node:crypto";
import { CryptoError } from "../errors.js";
import type {
  Aead,
  CipherSuite,
  Hash,
  Hpke,
  Kdf,
  Kem,
  KeyPair,
  SignatureScheme,
} from "./provider.js";

const b = (x: Uint8Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const u8 = (x: Buffer) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
const te = new TextEncoder();
function cat(...p: Uint8Array[]): Uint8Array {
  return u8(Buffer.concat(p.map(b)));
}
function i2osp(n: number, len: number): Uint8Array {
  const o = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    o[i] = n & 0xff;
    n >>>= 8;
  }
  return o;
}

function hash(name: string, size: number): Hash {
  return {
    name,
    size,
    digest: async (d) => u8(nc.createHash(name).update(d).digest()),
    mac: async (k, d) => u8(nc.createHmac(name, k).update(d).digest()),
  };
}
function hkdf(id: number, h: Hash): Kdf {
  const name = h.name;
  return {
    id,
    Nh: h.size,
    extract: async (salt, ikm) =>
      u8(
        nc
          .createHmac(name, salt.length ? salt : new Uint8Array(h.size))
          .update(ikm)
          .digest(),
      ),
    expand: async (prk, info, length) => {
      const out: Buffer[] = [];
      let t: Buffer = Buffer.alloc(0);
      let total = 0;
      for (let i = 1; total < length; i++) {
        t = nc
          .createHmac(name, prk)
          .update(t)
          .update(info)
          .update(Buffer.from([i]))
          .digest();
        out.push(t);
        total += t.length;
      }
      return u8(Buffer.concat(out).subarray(0, length));
    },
  };
}
function aead(id: number, alg: string, Nk: number): Aead {
  return {
    id,
    Nk,
    Nn: 12,
    Nt: 16,
    seal: async (key, nonce, aad, pt) => {
      const c = nc.createCipheriv(alg as "aes-128-gcm", key, nonce, { authTagLength: 16 } as never);
      (c as nc.CipherGCM).setAAD(aad);
      return cat(c.update(pt), c.final(), (c as nc.CipherGCM).getAuthTag());
    },
    open: async (key, nonce, aad, ct) => {
      if (ct.length < 16) throw new CryptoError("ciphertext too short");
      const d = nc.createDecipheriv(alg as "aes-128-gcm", key, nonce, {
        authTagLength: 16,
      } as never);
      (d as nc.DecipherGCM).setAAD(aad);
      (d as nc.DecipherGCM).setAuthTag(ct.subarray(ct.length - 16));
      try {
        return cat(d.update(ct.subarray(0, ct.length - 16)), d.final());
      } catch {
        throw new CryptoError("AEAD authentication failed");
      }
    },
  };
}

interface Dh {
  Npk: number;
  Nsk: number;
  bitmask?: number;
  order?: bigint;
  pub(sk: Uint8Array): Uint8Array;
  dh(sk: Uint8Array, pk: Uint8Array): Uint8Array;
}
function okpDh(curve: "x25519" | "x448", pkcs8: string, spki: string, n: number): Dh {
  const priv = (sk: Uint8Array) =>
    nc.createPrivateKey({
      key: b(cat(Buffer.from(pkcs8, "hex"), sk)),
      format: "der",
      type: "pkcs8",
    });
  const pubk = (pk: Uint8Array) =>
    nc.createPublicKey({ key: b(cat(Buffer.from(spki, "hex"), pk)), format: "der", type: "spki" });
  return {
    Npk: n,
    Nsk: n,
    pub: (sk) =>
      u8(nc.createPublicKey(priv(sk)).export({ format: "der", type: "spki" }) as Buffer).slice(
        spki.length / 2,
      ),
    dh: (sk, pk) => {
      if (pk.length !== n) throw new CryptoError(`${curve} public key must be ${n} bytes`);
      const z = u8(nc.diffieHellman({ privateKey: priv(sk), publicKey: pubk(pk) }));
      if (z.every((x) => x === 0)) throw new CryptoError("all-zero DH output");
      return z;
    },
  };
}
function ecDh(curve: string, n: number, bitmask: number, order: bigint): Dh {
  return {
    Npk: 2 * n + 1,
    Nsk: n,
    bitmask,
    order,
    pub: (sk) => {
      const e = nc.createECDH(curve);
      e.setPrivateKey(b(sk));
      return u8(e.getPublicKey());
    },
    dh: (sk, pk) => {
      const e = nc.createECDH(curve);
      e.setPrivateKey(b(sk));
      try {
        return u8(e.computeSecret(b(pk)));
      } catch {
        throw new CryptoError("invalid EC public key");
      }
    },
  };
}

function dhkem(id: number, dh: Dh, kdf: Kdf): Kem {
  const suiteId = cat(te.encode("KEM"), i2osp(id, 2));
  const lx = (salt: Uint8Array, label: string, ikm: Uint8Array) =>
    kdf.extract(salt, cat(te.encode("HPKE-v1"), suiteId, te.encode(label), ikm));
  const le = (prk: Uint8Array, label: string, info: Uint8Array, L: number) =>
    kdf.expand(prk, cat(i2osp(L, 2), te.encode("HPKE-v1"), suiteId, te.encode(label), info), L);
  const derive = async (ikm: Uint8Array): Promise<KeyPair> => {
    const prk = await lx(new Uint8Array(0), "dkp_prk", ikm);
    if (dh.order === undefined) {
      const sk = await le(prk, "sk", new Uint8Array(0), dh.Nsk);
      return { privateKey: sk, publicKey: dh.pub(sk) };
    }
    for (let counter = 0; counter < 256; counter++) {
      const bytes = await le(prk, "candidate", i2osp(counter, 1), dh.Nsk);
      bytes[0]! &= dh.bitmask!;
      const v = BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
      if (v !== 0n && v < dh.order) return { privateKey: bytes, publicKey: dh.pub(bytes) };
    }
    throw new CryptoError("DeriveKeyPairError");
  };
  const Nsecret = kdf.Nh;
  const eae = async (z: Uint8Array, ctx: Uint8Array) =>
    le(await lx(new Uint8Array(0), "eae_prk", z), "shared_secret", ctx, Nsecret);
  return {
    id,
    Nsecret,
    Nenc: dh.Npk,
    Npk: dh.Npk,
    Nsk: dh.Nsk,
    generateKeyPair: () => derive(u8(nc.randomBytes(dh.Nsk))),
    deriveKeyPair: derive,
    encap: async (pk) => {
      const e = await derive(u8(nc.randomBytes(dh.Nsk)));
      const z = dh.dh(e.privateKey, pk);
      return { sharedSecret: await eae(z, cat(e.publicKey, pk)), enc: e.publicKey };
    },
    decap: async (enc, sk, pk) => eae(dh.dh(sk, enc), cat(enc, pk)),
    validatePublicKey: async (pk) => {
      if (pk.length !== dh.Npk) throw new CryptoError("bad public key length");
    },
  };
}

function hpke(kem: Kem, kdf: Kdf, ae: Aead): Hpke {
  const suiteId = cat(te.encode("HPKE"), i2osp(kem.id, 2), i2osp(kdf.id, 2), i2osp(ae.id, 2));
  const lx = (salt: Uint8Array, label: string, ikm: Uint8Array) =>
    kdf.extract(salt, cat(te.encode("HPKE-v1"), suiteId, te.encode(label), ikm));
  const le = (prk: Uint8Array, label: string, info: Uint8Array, L: number) =>
    kdf.expand(prk, cat(i2osp(L, 2), te.encode("HPKE-v1"), suiteId, te.encode(label), info), L);
  const ks = async (ss: Uint8Array, info: Uint8Array) => {
    const e = new Uint8Array(0);
    const ctx = cat(
      new Uint8Array([0]),
      await lx(e, "psk_id_hash", e),
      await lx(e, "info_hash", info),
    );
    const secret = await lx(ss, "secret", e);
    return {
      key: await le(secret, "key", ctx, ae.Nk),
      nonce: await le(secret, "base_nonce", ctx, ae.Nn),
      exp: await le(secret, "exp", ctx, kdf.Nh),
    };
  };
  return {
    kem,
    seal: async (pk, info, aad, pt) => {
      const { sharedSecret, enc } = await kem.encap(pk);
      const k = await ks(sharedSecret, info);
      return { enc, ciphertext: await ae.seal(k.key, k.nonce, aad, pt) };
    },
    open: async (sk, pk, enc, info, aad, ct) => {
      const k = await ks(await kem.decap(enc, sk, pk), info);
      return ae.open(k.key, k.nonce, aad, ct);
    },
    sendExport: async (pk, info, ectx, L) => {
      const { sharedSecret, enc } = await kem.encap(pk);
      const k = await ks(sharedSecret, info);
      return { enc, secret: await le(k.exp, "sec", ectx, L) };
    },
    receiveExport: async (sk, pk, enc, info, ectx, L) => {
      const k = await ks(await kem.decap(enc, sk, pk), info);
      return le(k.exp, "sec", ectx, L);
    },
  };
}

function eddsa(id: number, name: string, pkcs8: string, spki: string): SignatureScheme {
  const priv = (sk: Uint8Array) =>
    nc.createPrivateKey({
      key: b(cat(Buffer.from(pkcs8, "hex"), sk)),
      format: "der",
      type: "pkcs8",
    });
  const pub = (pk: Uint8Array) =>
    nc.createPublicKey({ key: b(cat(Buffer.from(spki, "hex"), pk)), format: "der", type: "spki" });
  const pubOf = (sk: Uint8Array) =>
    u8(nc.createPublicKey(priv(sk)).export({ format: "der", type: "spki" }) as Buffer).slice(
      spki.length / 2,
    );
  return {
    id,
    name,
    generateKeyPair: async () => {
      const { privateKey } = nc.generateKeyPairSync(name.toLowerCase() as "ed25519");
      const sk = u8(privateKey.export({ format: "der", type: "pkcs8" }) as Buffer).slice(
        pkcs8.length / 2,
      );
      return { privateKey: sk, publicKey: pubOf(sk) };
    },
    publicKey: async (sk) => pubOf(sk),
    sign: async (sk, m) => u8(nc.sign(null, m, priv(sk))),
    verify: async (pk, m, s) => {
      try {
        return nc.verify(null, m, pub(pk), s);
      } catch {
        return false;
      }
    },
  };
}
function ecdsa(
  id: number,
  name: string,
  curve: string,
  crv: string,
  n: number,
  hashName: string,
): SignatureScheme {
  const pad = (sk: Uint8Array) => (sk.length >= n ? sk : cat(new Uint8Array(n - sk.length), sk));
  const b64 = (x: Uint8Array) => b(x).toString("base64url");
  const priv = (sk: Uint8Array) => {
    const d = pad(sk);
    const e = nc.createECDH(curve);
    e.setPrivateKey(b(d));
    const p = e.getPublicKey();
    return nc.createPrivateKey({
      key: { kty: "EC", crv, d: b64(d), x: b64(p.subarray(1, 1 + n)), y: b64(p.subarray(1 + n)) },
      format: "jwk",
    });
  };
  return {
    id,
    name,
    generateKeyPair: async () => {
      const e = nc.createECDH(curve);
      e.generateKeys();
      return { privateKey: pad(u8(e.getPrivateKey())), publicKey: u8(e.getPublicKey()) };
    },
    publicKey: async (sk) => {
      const e = nc.createECDH(curve);
      e.setPrivateKey(b(pad(sk)));
      return u8(e.getPublicKey());
    },
    sign: async (sk, m) => u8(nc.sign(hashName, m, { key: priv(sk), dsaEncoding: "der" })),
    verify: async (pk, m, s) => {
      try {
        if (pk.length !== 2 * n + 1 || pk[0] !== 4) return false;
        const key = nc.createPublicKey({
          key: { kty: "EC", crv, x: b64(pk.subarray(1, 1 + n)), y: b64(pk.subarray(1 + n)) },
          format: "jwk",
        });
        return nc.verify(hashName, m, { key, dsaEncoding: "der" }, s);
      } catch {
        return false;
      }
    },
  };
}

const sha256 = hash("sha256", 32);
const sha384 = hash("sha384", 48);
const sha512 = hash("sha512", 64);
const k256 = hkdf(1, sha256);
const k384 = hkdf(2, sha384);
const k512 = hkdf(3, sha512);
const aes128 = aead(1, "aes-128-gcm", 16);
const aes256 = aead(2, "aes-256-gcm", 32);
const chacha = aead(3, "chacha20-poly1305", 32);
const x25519 = dhkem(
  0x20,
  okpDh("x25519", "302e020100300506032b656e04220420", "302a300506032b656e032100", 32),
  k256,
);
const x448 = dhkem(
  0x21,
  okpDh("x448", "3046020100300506032b656f043a0438", "3042300506032b656f033900", 56),
  k512,
);
const p256 = dhkem(
  0x10,
  ecDh("prime256v1", 32, 0xff, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n),
  k256,
);
const p384 = dhkem(
  0x11,
  ecDh(
    "secp384r1",
    48,
    0xff,
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ),
  k384,
);
const p521 = dhkem(
  0x12,
  ecDh(
    "secp521r1",
    66,
    0x01,
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  ),
  k512,
);
const ed25519 = eddsa(
  0x0807,
  "Ed25519",
  "302e020100300506032b657004220420",
  "302a300506032b6570032100",
);
const ed448 = eddsa(
  0x0808,
  "Ed448",
  "3047020100300506032b6571043b0439",
  "3043300506032b6571033a00",
);

function suite(
  id: number,
  name: string,
  h: Hash,
  kdf: Kdf,
  ae: Aead,
  kem: Kem,
  sig: SignatureScheme,
): CipherSuite {
  return {
    id,
    name,
    hash: h,
    kdf,
    aead: ae,
    hpke: hpke(kem, kdf, ae),
    signature: sig,
    randomBytes: (n) => u8(nc.randomBytes(n)),
  };
}

const ecdsaP256 = ecdsa(0x0403, "ECDSA-P256", "prime256v1", "P-256", 32, "sha256");
const ecdsaP384 = ecdsa(0x0503, "ECDSA-P384", "secp384r1", "P-384", 48, "sha384");

export const BOOTSTRAP_PARTS = { suite, sha384, k384, aes256, ed25519, ecdsaP256, ecdsaP384 };

export const BOOTSTRAP_SUITES: Record<number, CipherSuite> = {
  1: suite(
    1,
    "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
    sha256,
    k256,
    aes128,
    x25519,
    ed25519,
  ),
  2: suite(
    2,
    "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
    sha256,
    k256,
    aes128,
    p256,
    ecdsa(0x0403, "ECDSA-P256", "prime256v1", "P-256", 32, "sha256"),
  ),
  3: suite(
    3,
    "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
    sha256,
    k256,
    chacha,
    x25519,
    ed25519,
  ),
  4: suite(4, "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448", sha512, k512, aes256, x448, ed448),
  5: suite(
    5,
    "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
    sha512,
    k512,
    aes256,
    p521,
    ecdsa(0x0603, "ECDSA-P521", "secp521r1", "P-521", 66, "sha512"),
  ),
  6: suite(6, "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448", sha512, k512, chacha, x448, ed448),
  7: suite(
    7,
    "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
    sha384,
    k384,
    aes256,
    p384,
    ecdsa(0x0503, "ECDSA-P384", "secp384r1", "P-384", 48, "sha384"),
  ),
};
