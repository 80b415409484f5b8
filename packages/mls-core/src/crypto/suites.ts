import { UsageError } from "../errors.js";
import { BOOTSTRAP_PQ_SUITES } from "./_bootstrapPq.js";
import type { AeadName, CryptoBackend, DhName, HashName, SignatureName } from "./backend.js";
import { DHKEM_HASH, DHKEM_ID, dhKem } from "./hpke/dhkem.js";
import { HpkeSuite } from "./hpke/hpke.js";
import { nobleBackend } from "./noble/index.js";
import { nativeBackend } from "./platform.js";
import type { CipherSuite } from "./provider.js";

/**
 * The cipher-suite table (RFC 9420 §17.1). `getCipherSuite(id)` composes a `CipherSuite` from
 * the primitives of a backend: Node's crypto ("node"), pure JS ("js"), or "auto", which takes
 * each primitive from the backend measured fastest for it (table `AUTO` below).
 */

export type CryptoBackendChoice = "auto" | "node" | "js";

export interface CipherSuiteOptions {
  readonly backend?: CryptoBackendChoice;
}

/** What an MLS cipher suite is made of (RFC 9420 §17.1, RFC 9180 §7). */
export interface CipherSuiteInfo {
  readonly id: number;
  /** IANA name. */
  readonly name: string;
  /** HPKE identifiers. */
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly hash: HashName;
  readonly dh: DhName;
  readonly aead: AeadName;
  readonly signature: SignatureName;
  /** TLS SignatureScheme code point. */
  readonly signatureSchemeId: number;
}

const KDF_ID: Readonly<Record<HashName, number>> = { "SHA-256": 1, "SHA-384": 2, "SHA-512": 3 };
const AEAD_ID: Readonly<Record<AeadName, number>> = {
  "AES-128-GCM": 1,
  "AES-256-GCM": 2,
  ChaCha20Poly1305: 3,
};
const SIGNATURE_ID: Readonly<Record<SignatureName, number>> = {
  Ed25519: 0x0807,
  Ed448: 0x0808,
  "ECDSA-P256-SHA256": 0x0403,
  "ECDSA-P384-SHA384": 0x0503,
  "ECDSA-P521-SHA512": 0x0603,
};

function info(
  id: number,
  name: string,
  dh: DhName,
  aead: AeadName,
  hash: HashName,
  signature: SignatureName,
): CipherSuiteInfo {
  return {
    id,
    name,
    kemId: DHKEM_ID[dh],
    kdfId: KDF_ID[hash],
    aeadId: AEAD_ID[aead],
    hash,
    dh,
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

const BUILT_IN = new Map(CIPHER_SUITES.map((s) => [s.id, s]));

/**
 * Which backend "auto" takes each primitive from when Node's crypto is present. Measured with
 * `bench/src/primitives.ts` (numbers in ./README.md): Node is faster for every primitive of every
 * suite. SHA-2, HMAC and the AEADs are 1.2–5× faster on 64-byte inputs; curve operations 1.5–58×.
 * The close calls are P-384/P-521: DeriveKeyPair 1.5×/2.1×, and ECDSA signing, where Node wins
 * 1.3–1.6× with a key it has seen before but JS wins (0.6–0.7×) the first time a key is used,
 * since OpenSSL must import it. A member signs with one key many times and verifies far more than
 * it signs (Node 5–9× faster), so Node is taken there too.
 */
type Side = "native" | "js";
const AUTO: {
  readonly hash: Side;
  readonly kdf: Side;
  readonly aead: Side;
  readonly dh: Readonly<Record<DhName, Side>>;
  readonly signature: Readonly<Record<SignatureName, Side>>;
} = {
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

function backendFor(choice: CryptoBackendChoice, side: Side): CryptoBackend {
  if (choice === "js") return nobleBackend;
  if (choice === "node") {
    if (nativeBackend === undefined) throw new UsageError("the node crypto backend is unavailable");
    return nativeBackend;
  }
  return side === "native" && nativeBackend !== undefined ? nativeBackend : nobleBackend;
}

function buildSuite(s: CipherSuiteInfo, choice: CryptoBackendChoice): CipherSuite {
  const pick = (side: Side) => backendFor(choice, side);
  const kdf = pick(AUTO.kdf).kdf(s.hash);
  const kemHash = DHKEM_HASH[s.dh];
  const kem = dhKem(pick(AUTO.dh[s.dh]).dh(s.dh), pick(AUTO.kdf).kdf(kemHash));
  const aead = pick(AUTO.aead).aead(s.aead);
  const random = pick("native");
  return {
    id: s.id,
    name: s.name,
    hash: pick(AUTO.hash).hash(s.hash),
    kdf,
    aead,
    hpke: new HpkeSuite(kem, kdf, aead),
    signature: pick(AUTO.signature[s.signature]).signature(s.signature),
    randomBytes: (length) => random.randomBytes(length),
  };
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

// TEMPORARY bridge: the stop-gap ML-KEM suites (0xF006–0xF00B) of ./_bootstrapPq.ts, which the
// combiner uses, until the real post-quantum suites call registerCipherSuite themselves.
for (const [id, suite] of Object.entries(BOOTSTRAP_PQ_SUITES)) {
  registerCipherSuite(Number(id), () => suite);
}
