import { UsageError } from "../../errors.js";
import { fromHex } from "../../util/bytes.js";
import {
  type AeadName,
  type CryptoBackend,
  type DhName,
  type DhPrimitive,
  type HashName,
  memoize,
  type SignatureName,
} from "../backend.js";
import { nobleBackend } from "../noble/index.js";
import { webRandomBytes } from "../noble/random.js";
import type { Aead, Hash, Kdf, SignatureScheme } from "../provider.js";
import { webAesGcm } from "./aead.js";
import { okpPkcs8 } from "./der.js";
import { webEcdh, webX25519 } from "./ecdh.js";
import { webHash } from "./hash.js";
import { webHkdf } from "./hkdf.js";
import { webEcdsa, webEd25519 } from "./signature.js";
import { bs, fromBase64Url, getSubtle } from "./subtle.js";

export { setWebCryptoKeyCaching } from "./keyCache.js";

/** Where a primitive of the WebCrypto backend runs: `crypto.subtle`, or the noble fallback. */
export type WebCryptoImplementation = "webcrypto" | "js";
export type PrimitiveKind = "hash" | "kdf" | "aead" | "dh" | "signature";

const known = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Ed25519 and X25519 came to WebCrypto late (Secure Curves; Chromium 133+, Firefox 129+,
 * Safari 17+, Node 18.4+), so they are probed once with a known answer — RFC 8032 §7.1 test 1 and
 * RFC 7748 §6.1 (Alice) — by importing the private key and comparing the public key the platform
 * derives. Everything else WebCrypto has had everywhere for years; it is used whenever
 * `crypto.subtle` exists (a browser has it only in a secure context: https or loopback).
 */
const PROBES: Readonly<Record<"X25519" | "Ed25519", { sk: string; pk: string; usage: string }>> = {
  X25519: {
    sk: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    pk: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    usage: "deriveBits",
  },
  Ed25519: {
    sk: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    usage: "sign",
  },
};

async function probeOkp(curve: "X25519" | "Ed25519"): Promise<boolean> {
  const s = getSubtle();
  if (s === undefined) return false;
  const p = PROBES[curve];
  try {
    const key = await s.importKey("pkcs8", bs(okpPkcs8(curve, fromHex(p.sk))), curve, true, [
      p.usage,
    ]);
    return known(fromBase64Url((await s.exportKey("jwk", key)).x, 32), fromHex(p.pk));
  } catch {
    return false;
  }
}

const probeOnce = memoize((curve: "X25519" | "Ed25519") => probeOkp(curve));

const resolved = new Map<string, WebCryptoImplementation>();

/**
 * Decides once (on first use) between a WebCrypto implementation and the noble one, and records
 * the decision. `web` is undefined when WebCrypto has no such algorithm at all.
 */
function chooser<T>(
  kind: PrimitiveKind,
  name: string,
  web: (() => T) | undefined,
  js: () => T,
  probe: () => Promise<boolean>,
): () => Promise<T> {
  let chosen: Promise<T> | undefined;
  return () => {
    chosen ??= (async () => {
      const useWeb = web !== undefined && (await probe());
      resolved.set(`${kind}:${name}`, useWeb ? "webcrypto" : "js");
      return useWeb ? web() : js();
    })();
    return chosen;
  };
}

const hasSubtle = async () => getSubtle() !== undefined;

const choosers = new Map<string, () => Promise<unknown>>();
function register<T>(kind: PrimitiveKind, name: string, pick: () => Promise<T>): () => Promise<T> {
  choosers.set(`${kind}:${name}`, pick);
  return pick;
}

function lazyHash(name: HashName): Hash {
  const pick = register(
    "hash",
    name,
    chooser(
      "hash",
      name,
      () => webHash(name),
      () => nobleBackend.hash(name),
      hasSubtle,
    ),
  );
  const size = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[name];
  return {
    name,
    size,
    digest: async (data) => (await pick()).digest(data),
    mac: async (key, data) => (await pick()).mac(key, data),
  };
}

function lazyKdf(name: HashName): Kdf {
  const pick = register(
    "kdf",
    name,
    chooser(
      "kdf",
      name,
      () => webHkdf(name),
      () => nobleBackend.kdf(name),
      hasSubtle,
    ),
  );
  const js = nobleBackend.kdf(name);
  return {
    id: js.id,
    Nh: js.Nh,
    extract: async (salt, ikm) => (await pick()).extract(salt, ikm),
    expand: async (prk, info, length) => (await pick()).expand(prk, info, length),
  };
}

function lazyAead(name: AeadName): Aead {
  const web = name === "ChaCha20Poly1305" ? undefined : () => webAesGcm(name);
  const pick = register(
    "aead",
    name,
    chooser("aead", name, web, () => nobleBackend.aead(name), hasSubtle),
  );
  const js = nobleBackend.aead(name);
  return {
    id: js.id,
    Nk: js.Nk,
    Nn: js.Nn,
    Nt: js.Nt,
    seal: async (key, nonce, aad, pt) => (await pick()).seal(key, nonce, aad, pt),
    open: async (key, nonce, aad, ct) => (await pick()).open(key, nonce, aad, ct),
  };
}

function lazyDh(name: DhName): DhPrimitive {
  let web: (() => DhPrimitive) | undefined;
  let probe = hasSubtle;
  if (name === "X25519") {
    web = webX25519;
    probe = () => probeOnce("X25519");
  } else if (name !== "X448") web = () => webEcdh(name);
  const pick = register(
    "dh",
    name,
    chooser("dh", name, web, () => nobleBackend.dh(name), probe),
  );
  const js = nobleBackend.dh(name);
  return {
    name,
    Npk: js.Npk,
    Nsk: js.Nsk,
    Ndh: js.Ndh,
    publicKey: async (sk) => (await pick()).publicKey(sk),
    generateKeyPair: async () => (await pick()).generateKeyPair(),
    dh: async (sk, pk, own) => (await pick()).dh(sk, pk, own),
    ephemeralDh: async (pk) => (await pick()).ephemeralDh(pk),
    validatePublicKey: async (pk) => (await pick()).validatePublicKey(pk),
  };
}

function lazySignature(name: SignatureName): SignatureScheme {
  let web: (() => SignatureScheme) | undefined;
  let probe = hasSubtle;
  switch (name) {
    case "Ed25519":
      web = webEd25519;
      probe = () => probeOnce("Ed25519");
      break;
    case "ECDSA-P256-SHA256":
      web = () => webEcdsa("P-256");
      break;
    case "ECDSA-P384-SHA384":
      web = () => webEcdsa("P-384");
      break;
    case "ECDSA-P521-SHA512":
      web = () => webEcdsa("P-521");
      break;
  }
  const pick = register(
    "signature",
    name,
    chooser("signature", name, web, () => nobleBackend.signature(name), probe),
  );
  const js = nobleBackend.signature(name);
  return {
    id: js.id,
    name: js.name,
    generateKeyPair: async () => (await pick()).generateKeyPair(),
    publicKey: async (sk) => (await pick()).publicKey(sk),
    sign: async (sk, m) => (await pick()).sign(sk, m),
    verify: async (pk, m, sig) => (await pick()).verify(pk, m, sig),
  };
}

/**
 * The primitives on WebCrypto (`crypto.subtle`): SHA-2, HMAC, HKDF, AES-GCM, ECDH and ECDSA on
 * P-256/384/521, and X25519/Ed25519 where the platform has them; ChaCha20-Poly1305, X448 and
 * Ed448 (which WebCrypto lacks) and any algorithm the platform turns out not to have come from
 * the noble backend. Each primitive decides once, on first use, and keeps its decision
 * (`webCryptoImplementation` tells which it took). Runs in browsers and in Node (tests).
 */
export const webCryptoBackend: CryptoBackend = {
  name: "webcrypto",
  hash: memoize(lazyHash),
  kdf: memoize(lazyKdf),
  aead: memoize(lazyAead),
  dh: memoize(lazyDh),
  signature: memoize(lazySignature),
  randomBytes: webRandomBytes,
};

const HASHES = ["SHA-256", "SHA-384", "SHA-512"];
const KNOWN: Readonly<Record<PrimitiveKind, readonly string[]>> = {
  hash: HASHES,
  kdf: HASHES,
  aead: ["AES-128-GCM", "AES-256-GCM", "ChaCha20Poly1305"],
  dh: ["X25519", "X448", "P-256", "P-384", "P-521"],
  signature: ["Ed25519", "Ed448", "ECDSA-P256-SHA256", "ECDSA-P384-SHA384", "ECDSA-P521-SHA512"],
};

/**
 * Which implementation a primitive of `webCryptoBackend` uses (deciding now if it has not been
 * used yet): "webcrypto" for `crypto.subtle`, "js" for the noble fallback.
 */
export async function webCryptoImplementation(
  kind: PrimitiveKind,
  name: string,
): Promise<WebCryptoImplementation> {
  const key = `${kind}:${name}`;
  if (!KNOWN[kind].includes(name))
    throw new UsageError(`no ${kind} ${name} in the WebCrypto backend`);
  if (!choosers.has(key)) {
    // Building the primitive registers its chooser.
    const b = webCryptoBackend as unknown as Record<PrimitiveKind, (n: string) => unknown>;
    b[kind](name);
  }
  const pick = choosers.get(key);
  if (pick === undefined) throw new UsageError(`no ${kind} ${name} in the WebCrypto backend`);
  await pick();
  return resolved.get(key) ?? "js";
}

/** The decisions taken so far, as `"kind:name" → implementation` (for tests and diagnostics). */
export function webCryptoDecisions(): Readonly<Record<string, WebCryptoImplementation>> {
  return Object.fromEntries(resolved);
}
