import { UsageError } from "../errors.js";
import type { AeadName, CryptoBackend, DhName, HashName, SignatureName } from "./backend.js";
import { bySizeHash } from "./bySizeHash.js";
import { DHKEM_HASH, DHKEM_ID, dhKem } from "./hpke/dhkem.js";
import { HpkeSuite } from "./hpke/hpke.js";
import { nobleBackend } from "./noble/index.js";
import { nativeBackend } from "./platform.js";
import { isMlDsaName, MLDSA_SIGNATURE_ID, type MlDsaName, mlDsa } from "./pq/mldsa.js";
import { ML_KEM_768_ID, mlKem768 } from "./pq/mlkem768.js";
import { MLKEM768_P256_ID, mlKem768P256 } from "./pq/mlkem768p256.js";
import { ML_KEM_1024_ID, mlKem1024 } from "./pq/mlkem1024.js";
import { MLKEM1024_P384_ID, mlKem1024P384 } from "./pq/mlkem1024p384.js";
import { MLKEM768_X25519_ID, mlKem768X25519 } from "./pq/xwing.js";
import type { CipherSuite, Hash, Kem, SignatureScheme } from "./provider.js";
import { webCryptoBackend, webCryptoImplementation } from "./webcrypto/index.js";

/**
 * The cipher-suite table: the seven suites of RFC 9420 §17.1 and the eleven of
 * draft-ietf-mls-pq-ciphersuites-06. `getCipherSuite(id)` composes a `CipherSuite` from the
 * primitives of a backend: Node's crypto ("node"), WebCrypto ("webcrypto", with noble for what
 * the platform lacks), pure JS ("js"), or "auto", which takes each primitive from the backend
 * measured fastest for it on this platform (tables `NODE_AUTO` and `WEBCRYPTO_AUTO` below).
 */

export type CryptoBackendChoice = "auto" | "node" | "webcrypto" | "js";

export interface CipherSuiteOptions {
  readonly backend?: CryptoBackendChoice;
}

/** The post-quantum HPKE KEMs of draft-ietf-hpke-pq, by their names there. */
export type PqKemName =
  | "ML-KEM-768"
  | "ML-KEM-1024"
  | "MLKEM768-X25519"
  | "MLKEM768-P256"
  | "MLKEM1024-P384";
/** A KEM of a suite: a DHKEM (named by its group) or a post-quantum KEM. */
export type KemName = DhName | PqKemName;
/** A signature scheme of a suite: a classical one or ML-DSA. */
export type SuiteSignatureName = SignatureName | MlDsaName;

/** What an MLS cipher suite is made of (RFC 9420 §17.1, RFC 9180 §7, draft-ietf-hpke-pq). */
export interface CipherSuiteInfo {
  readonly id: number;
  /** IANA name (for the PQ suites, the name the draft requests). */
  readonly name: string;
  /** HPKE identifiers. */
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly hash: HashName;
  readonly kem: KemName;
  readonly aead: AeadName;
  readonly signature: SuiteSignatureName;
  /** TLS SignatureScheme code point. */
  readonly signatureSchemeId: number;
  /** n of "TBDn", the draft's placeholder value, for a suite of draft-ietf-mls-pq-ciphersuites. */
  readonly tbd?: number;
}

const KDF_ID: Readonly<Record<HashName, number>> = { "SHA-256": 1, "SHA-384": 2, "SHA-512": 3 };
const AEAD_ID: Readonly<Record<AeadName, number>> = {
  "AES-128-GCM": 1,
  "AES-256-GCM": 2,
  ChaCha20Poly1305: 3,
};
const KEM_ID: Readonly<Record<KemName, number>> = {
  ...DHKEM_ID,
  "ML-KEM-768": ML_KEM_768_ID,
  "ML-KEM-1024": ML_KEM_1024_ID,
  "MLKEM768-X25519": MLKEM768_X25519_ID,
  "MLKEM768-P256": MLKEM768_P256_ID,
  "MLKEM1024-P384": MLKEM1024_P384_ID,
};
const SIGNATURE_ID: Readonly<Record<SuiteSignatureName, number>> = {
  Ed25519: 0x0807,
  Ed448: 0x0808,
  "ECDSA-P256-SHA256": 0x0403,
  "ECDSA-P384-SHA384": 0x0503,
  "ECDSA-P521-SHA512": 0x0603,
  ...MLDSA_SIGNATURE_ID,
};

function info(
  id: number,
  name: string,
  kem: KemName,
  aead: AeadName,
  hash: HashName,
  signature: SuiteSignatureName,
): CipherSuiteInfo {
  return {
    id,
    name,
    kemId: KEM_ID[kem],
    kdfId: KDF_ID[hash],
    aeadId: AEAD_ID[aead],
    hash,
    kem,
    aead,
    signature,
    signatureSchemeId: SIGNATURE_ID[signature],
  };
}

/** The seven cipher suites of RFC 9420 §17.1. */
export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  info(
    1,
    "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
    "X25519",
    "AES-128-GCM",
    "SHA-256",
    "Ed25519",
  ),
  info(
    2,
    "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
    "P-256",
    "AES-128-GCM",
    "SHA-256",
    "ECDSA-P256-SHA256",
  ),
  info(
    3,
    "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
    "X25519",
    "ChaCha20Poly1305",
    "SHA-256",
    "Ed25519",
  ),
  info(4, "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448", "X448", "AES-256-GCM", "SHA-512", "Ed448"),
  info(
    5,
    "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
    "P-521",
    "AES-256-GCM",
    "SHA-512",
    "ECDSA-P521-SHA512",
  ),
  info(
    6,
    "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
    "X448",
    "ChaCha20Poly1305",
    "SHA-512",
    "Ed448",
  ),
  info(
    7,
    "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
    "P-384",
    "AES-256-GCM",
    "SHA-384",
    "ECDSA-P384-SHA384",
  ),
];

/**
 * Where the suites of draft-ietf-mls-pq-ciphersuites-06 live until IANA assigns them values: the
 * draft has "TBD1"…"TBD11", and suite TBDn is served at `PQ_CODE_POINT_BASE + n`, i.e.
 * 0xF001…0xF00B in the private-use range (RFC 9420 §17.1), as other deployments do
 * (decisions.md). To serve a suite at another code point as well (an IANA value, another
 * deployment's private-use value), call `registerPqCipherSuite(n, id)`.
 */
export const PQ_CODE_POINT_BASE = 0xf000;

function pq(
  tbd: number,
  name: string,
  kem: PqKemName,
  aead: AeadName,
  hash: HashName,
  signature: SuiteSignatureName,
): CipherSuiteInfo {
  return { ...info(PQ_CODE_POINT_BASE + tbd, name, kem, aead, hash, signature), tbd };
}

/**
 * The eleven suites of draft-ietf-mls-pq-ciphersuites-06 (IANA table and primitive mapping of
 * its §"MLS Cipher Suites"). The KDF is HKDF over the suite's hash (HPKE KDF 0x0001/0x0002); the
 * KEMs are those of draft-ietf-hpke-pq (./pq/); ML-DSA is pure with the empty context.
 */
export const PQ_CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  pq(
    1,
    "MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519",
    "MLKEM768-X25519",
    "AES-128-GCM",
    "SHA-256",
    "Ed25519",
  ),
  pq(
    2,
    "MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519",
    "MLKEM768-X25519",
    "AES-256-GCM",
    "SHA-384",
    "Ed25519",
  ),
  pq(
    3,
    "MLS_128_MLKEM768P256_AES128GCM_SHA256_P256",
    "MLKEM768-P256",
    "AES-128-GCM",
    "SHA-256",
    "ECDSA-P256-SHA256",
  ),
  pq(
    4,
    "MLS_128_MLKEM768P256_AES256GCM_SHA384_P256",
    "MLKEM768-P256",
    "AES-256-GCM",
    "SHA-384",
    "ECDSA-P256-SHA256",
  ),
  pq(
    5,
    "MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384",
    "MLKEM1024-P384",
    "AES-256-GCM",
    "SHA-384",
    "ECDSA-P384-SHA384",
  ),
  pq(
    6,
    "MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519",
    "ML-KEM-768",
    "AES-256-GCM",
    "SHA-384",
    "Ed25519",
  ),
  pq(
    7,
    "MLS_128_MLKEM768_AES256GCM_SHA384_P256",
    "ML-KEM-768",
    "AES-256-GCM",
    "SHA-384",
    "ECDSA-P256-SHA256",
  ),
  pq(
    8,
    "MLS_192_MLKEM1024_AES256GCM_SHA384_P384",
    "ML-KEM-1024",
    "AES-256-GCM",
    "SHA-384",
    "ECDSA-P384-SHA384",
  ),
  pq(
    9,
    "MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44",
    "MLKEM768-X25519",
    "ChaCha20Poly1305",
    "SHA-384",
    "ML-DSA-44",
  ),
  pq(
    10,
    "MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65",
    "ML-KEM-768",
    "AES-256-GCM",
    "SHA-384",
    "ML-DSA-65",
  ),
  pq(
    11,
    "MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87",
    "ML-KEM-1024",
    "AES-256-GCM",
    "SHA-384",
    "ML-DSA-87",
  ),
];

const BUILT_IN = new Map(CIPHER_SUITES.map((s) => [s.id, s]));

/** What suite `id` is made of, if it is one of the tables above (at its default code point). */
export function cipherSuiteInfo(id: number): CipherSuiteInfo | undefined {
  return BUILT_IN.get(id) ?? PQ_CIPHER_SUITES.find((s) => s.id === id);
}

/**
 * Which backend "auto" takes each primitive from when Node's crypto is present. Measured with
 * `bench/src/primitives.ts` (numbers in ./README.md): Node is faster for every primitive of every
 * suite. SHA-2, HMAC and the AEADs are 1.2–5× faster on 64-byte inputs; curve operations 1.5–58×.
 * The close calls are P-384/P-521: DeriveKeyPair 1.5×/2.1×, and ECDSA signing, where Node wins
 * 1.3–1.6× with a key it has seen before but JS wins (0.6–0.7×) the first time a key is used,
 * since OpenSSL must import it. A member signs with one key many times and verifies far more than
 * it signs (Node 5–9× faster), so Node is taken there too.
 *
 * ML-KEM and ML-DSA have one implementation (@noble/post-quantum: Node 20's OpenSSL 3.0 has
 * neither), used whatever the choice; the elliptic-curve half of a hybrid KEM is the `dh` entry of
 * its group.
 */
type Side = "native" | "js";
interface AutoTable {
  /** "by-size": noble below `NATIVE_HASH_FROM` bytes, the native backend from there on. */
  readonly hash: Side | "by-size";
  readonly kdf: Side;
  readonly aead: Side;
  readonly dh: Readonly<Record<DhName, Side>>;
  readonly signature: Readonly<Record<SignatureName, Side>>;
}
const NODE_AUTO: AutoTable = {
  hash: "native",
  kdf: "native",
  aead: "native",
  dh: { X25519: "native", X448: "native", "P-256": "native", "P-384": "native", "P-521": "native" },
  signature: {
    Ed25519: "native",
    Ed448: "native",
    "ECDSA-P256-SHA256": "native",
    "ECDSA-P384-SHA384": "native",
    "ECDSA-P521-SHA512": "native",
  },
};

/**
 * Which backend "auto" takes each primitive from in a browser, where the native backend is
 * WebCrypto (`./platform.browser.ts`). Measured in Chromium (`npm run bench -- browser`, numbers
 * in ./README.md): WebCrypto wins every curve operation by far (X25519, P-256/384/521, Ed25519,
 * ECDSA) and AES-GCM, but each call is a promise that crosses into the browser's crypto thread,
 * so for the short inputs of the key schedule and the secret tree (HKDF, and hashes or MACs of
 * less than 256 bytes) noble's synchronous code is faster; from 256 bytes WebCrypto's SHA-2 wins
 * by 1.4–13× (tree hashes over post-quantum keys, transcript hashes), hence "by-size". Where
 * WebCrypto lacks an algorithm (X448, Ed448, ChaCha20-Poly1305, or Ed25519/X25519 in an
 * older browser), the WebCrypto backend itself falls back to noble.
 */
const WEBCRYPTO_AUTO: AutoTable = {
  hash: "by-size",
  kdf: "js",
  aead: "native",
  dh: { X25519: "native", X448: "js", "P-256": "native", "P-384": "native", "P-521": "native" },
  signature: {
    Ed25519: "native",
    Ed448: "js",
    "ECDSA-P256-SHA256": "native",
    "ECDSA-P384-SHA384": "native",
    "ECDSA-P521-SHA512": "native",
  },
};

/** Input length from which a "by-size" hash takes the native backend (measured crossover). */
const NATIVE_HASH_FROM = 256;

/** The table for this platform: Node's, or WebCrypto's when the native backend is WebCrypto. */
const AUTO: AutoTable = nativeBackend?.name === "webcrypto" ? WEBCRYPTO_AUTO : NODE_AUTO;

/**
 * The table a choice follows: "webcrypto" is the browser's composition wherever it runs (so Node
 * tests check exactly what a browser runs); "auto" is this platform's; "node" and "js" force one
 * backend, so their table only says which primitives are native.
 */
const tableFor = (choice: CryptoBackendChoice): AutoTable =>
  choice === "webcrypto" ? WEBCRYPTO_AUTO : AUTO;

function backendFor(choice: CryptoBackendChoice, side: Side): CryptoBackend {
  if (choice === "js") return nobleBackend;
  if (choice === "webcrypto") return side === "native" ? webCryptoBackend : nobleBackend;
  if (choice === "node") {
    if (nativeBackend?.name !== "node")
      throw new UsageError("the node crypto backend is unavailable");
    return nativeBackend;
  }
  return side === "native" && nativeBackend !== undefined ? nativeBackend : nobleBackend;
}

function buildKem(name: KemName, choice: CryptoBackendChoice): Kem {
  const dh = (group: DhName) => backendFor(choice, tableFor(choice).dh[group]).dh(group);
  switch (name) {
    case "ML-KEM-768":
      return mlKem768;
    case "ML-KEM-1024":
      return mlKem1024;
    case "MLKEM768-X25519":
      return mlKem768X25519(dh("X25519"));
    case "MLKEM768-P256":
      return mlKem768P256(dh("P-256"));
    case "MLKEM1024-P384":
      return mlKem1024P384(dh("P-384"));
    default:
      return dhKem(dh(name), backendFor(choice, tableFor(choice).kdf).kdf(DHKEM_HASH[name]));
  }
}

function buildSignature(name: SuiteSignatureName, choice: CryptoBackendChoice): SignatureScheme {
  if (isMlDsaName(name)) return mlDsa(name);
  return backendFor(choice, tableFor(choice).signature[name]).signature(name);
}

/** The backend each part of a built suite came from (for `cipherSuiteImplementations`). */
interface SuiteParts {
  /** One backend, or two: [short inputs, long inputs] (see `bySizeHash`). */
  readonly hash: readonly CryptoBackend[];
  readonly kdf: CryptoBackend;
  readonly aead: CryptoBackend;
  /** The backend of the KEM's group; undefined for a pure ML-KEM. */
  readonly dh: { readonly backend: CryptoBackend; readonly name: DhName } | undefined;
  /** Undefined for ML-DSA. */
  readonly signature: CryptoBackend | undefined;
  readonly info: CipherSuiteInfo;
}
const suiteParts = new WeakMap<CipherSuite, SuiteParts>();

const KEM_GROUP: Readonly<Partial<Record<KemName, DhName>>> = {
  "MLKEM768-X25519": "X25519",
  "MLKEM768-P256": "P-256",
  "MLKEM1024-P384": "P-384",
  X25519: "X25519",
  X448: "X448",
  "P-256": "P-256",
  "P-384": "P-384",
  "P-521": "P-521",
};

/** The backends a suite's hash uses: one, or [short inputs, long inputs] for "by-size". */
function hashBackends(choice: CryptoBackendChoice): readonly CryptoBackend[] {
  const side = tableFor(choice).hash;
  if (side !== "by-size") return [backendFor(choice, side)];
  const small = backendFor(choice, "js");
  const large = backendFor(choice, "native");
  return small === large ? [small] : [small, large];
}

function buildHash(name: HashName, backends: readonly CryptoBackend[]): Hash {
  const [small, large] = backends;
  if (large === undefined) return small!.hash(name);
  return bySizeHash(small!.hash(name), large.hash(name), NATIVE_HASH_FROM);
}

function buildSuite(s: CipherSuiteInfo, choice: CryptoBackendChoice): CipherSuite {
  const pick = (side: Side) => backendFor(choice, side);
  const kdf = pick(tableFor(choice).kdf).kdf(s.hash);
  const aead = pick(tableFor(choice).aead).aead(s.aead);
  const random = pick("native");
  const group = KEM_GROUP[s.kem];
  const suite: CipherSuite = {
    id: s.id,
    name: s.name,
    hash: buildHash(s.hash, hashBackends(choice)),
    kdf,
    aead,
    hpke: new HpkeSuite(buildKem(s.kem, choice), kdf, aead),
    signature: buildSignature(s.signature, choice),
    randomBytes: (length) => random.randomBytes(length),
  };
  suiteParts.set(suite, {
    hash: hashBackends(choice),
    kdf: pick(tableFor(choice).kdf),
    aead: pick(tableFor(choice).aead),
    dh:
      group === undefined ? undefined : { backend: pick(tableFor(choice).dh[group]), name: group },
    signature: isMlDsaName(s.signature)
      ? undefined
      : pick(tableFor(choice).signature[s.signature as SignatureName]),
    info: s,
  });
  return suite;
}

/**
 * Where a primitive runs: OpenSSL through `node:crypto`, `crypto.subtle`, or pure JS; for a hash,
 * `"js+webcrypto"` is pure JS for short inputs and WebCrypto for long ones.
 */
export type PrimitiveImplementation = "node" | "webcrypto" | "js" | "js+webcrypto";

/**
 * Which implementation each primitive of a suite (as `getCipherSuite` built it) runs on. `kem` is
 * the KEM's elliptic-curve group ("js" for a pure ML-KEM, which is @noble/post-quantum on every
 * platform); `signature` is "js" for ML-DSA. A WebCrypto primitive that has not been used yet
 * makes its one-time choice now (`crypto.subtle`, or noble where the platform lacks it).
 */
export async function cipherSuiteImplementations(
  suite: CipherSuite,
): Promise<Record<"hash" | "kdf" | "aead" | "kem" | "signature", PrimitiveImplementation>> {
  const p = suiteParts.get(suite);
  if (p === undefined) throw new UsageError(`suite ${suite.id} was not built by getCipherSuite`);
  const of = async (
    b: CryptoBackend | undefined,
    kind: "hash" | "kdf" | "aead" | "dh" | "signature",
    name: string,
  ): Promise<PrimitiveImplementation> => {
    if (b === undefined) return "js";
    if (b.name === "webcrypto") return webCryptoImplementation(kind, name);
    return b.name;
  };
  return {
    hash: await hashImplementation(p.hash, (b) => of(b, "hash", p.info.hash)),
    kdf: await of(p.kdf, "kdf", p.info.hash),
    aead: await of(p.aead, "aead", p.info.aead),
    kem: await of(p.dh?.backend, "dh", p.dh?.name ?? ""),
    signature: await of(p.signature, "signature", p.info.signature),
  };
}

async function hashImplementation(
  backends: readonly CryptoBackend[],
  of: (b: CryptoBackend) => Promise<PrimitiveImplementation>,
): Promise<PrimitiveImplementation> {
  const impls = await Promise.all(backends.map(of));
  if (impls.length === 2 && impls[0] === "js" && impls[1] === "webcrypto") return "js+webcrypto";
  return impls[impls.length - 1]!;
}

/** Builds a suite that is not in RFC 9420's table, e.g. a post-quantum one. */
export type CipherSuiteFactory = (options: {
  readonly backend: CryptoBackendChoice;
}) => CipherSuite;

const registered = new Map<number, CipherSuiteFactory>();
const instances = new Map<string, CipherSuite>();

/**
 * Adds a cipher suite to the table, so that `getCipherSuite(id)` (and so the whole protocol)
 * can use it. The factory is called once per backend choice; its result is cached. Built-in
 * and already registered ids are refused.
 */
export function registerCipherSuite(id: number, factory: CipherSuiteFactory): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff)
    throw new UsageError(`cipher suite id ${id} is not a uint16 other than 0`);
  if (BUILT_IN.has(id) || registered.has(id))
    throw new UsageError(`cipher suite ${id} is already defined`);
  registered.set(id, factory);
}

/**
 * Serves suite TBDn of draft-ietf-mls-pq-ciphersuites-06 at code point `id` too (it stays at
 * its default code point as well), e.g. once IANA has assigned it a value.
 */
export function registerPqCipherSuite(tbd: number, id: number): void {
  const s = PQ_CIPHER_SUITES.find((x) => x.tbd === tbd);
  if (s === undefined)
    throw new UsageError(`draft-ietf-mls-pq-ciphersuites has no suite TBD${tbd}`);
  const at: CipherSuiteInfo = { ...s, id };
  registerCipherSuite(id, ({ backend }) => buildSuite(at, backend));
}

export function isSupportedCipherSuite(id: number): boolean {
  return BUILT_IN.has(id) || registered.has(id);
}

/** The suite with this id; instances are cached per (id, backend). */
export function getCipherSuite(id: number, options?: CipherSuiteOptions): CipherSuite {
  const backend = options?.backend ?? "auto";
  const key = `${id}/${backend}`;
  const cached = instances.get(key);
  if (cached !== undefined) return cached;
  const builtIn = BUILT_IN.get(id);
  const factory = registered.get(id);
  let suite: CipherSuite;
  if (builtIn !== undefined) suite = buildSuite(builtIn, backend);
  else if (factory !== undefined) suite = factory({ backend });
  else throw new UsageError(`unsupported cipher suite ${id}`);
  if (suite.id !== id) throw new UsageError(`factory for suite ${id} built suite ${suite.id}`);
  instances.set(key, suite);
  return suite;
}

for (const s of PQ_CIPHER_SUITES)
  registerCipherSuite(s.id, ({ backend }) => buildSuite(s, backend));

export {
  setWebCryptoKeyCaching,
  type WebCryptoImplementation,
  webCryptoDecisions,
} from "./webcrypto/index.js";
