import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { toHex } from "@hpqmls/mls-core";
import { b64, isB64url } from "./base64.js";
import { unauthorized } from "./errors.js";
import type { ClientRecord, Storage } from "./storage/types.js";

/**
 * Signed requests (API.md, "Authentication"):
 *
 *   Authorization: HPQMLS-Ed25519 client="<id>",ts="<unix s>",nonce="<b64url>",sig="<b64url>"
 *
 * over `HPQMLS-REQUEST-V1\n<METHOD>\n<path?query>\n<ts>\n<nonce>\n<hex sha256(body)>`. Nonces
 * are recorded in the database, so a replay is refused by every instance sharing it.
 */

export const MAX_SKEW_SECONDS = 300;
const SCHEME = "HPQMLS-Ed25519";
const HEADER =
  /^HPQMLS-Ed25519\s+client="([A-Za-z0-9_-]{1,64})",\s*ts="(\d{1,12})",\s*nonce="([A-Za-z0-9_-]{22,128})",\s*sig="([A-Za-z0-9_-]{86})"$/;

export interface SignedRequest {
  readonly clientId: string;
  readonly ts: number;
  readonly nonce: string;
  readonly signature: Uint8Array;
}

/** Parses the Authorization header; throws 401 if missing or malformed. */
export function parseAuthorization(header: string | undefined): SignedRequest {
  if (header === undefined || header === "")
    throw unauthorized(
      "unauthenticated",
      `this endpoint needs a signed request: Authorization: ${SCHEME} client=...,ts=...,nonce=...,sig=...`,
    );
  const m = HEADER.exec(header.trim());
  if (m === null || !isB64url(m[3]!) || !isB64url(m[4]!))
    throw unauthorized(
      "malformed_authorization",
      `the Authorization header is not ${SCHEME} client="<id>",ts="<unix seconds>",nonce="<16+ bytes base64url>",sig="<base64url>"`,
    );
  const nonceBytes = Buffer.from(m[3]!, "base64url");
  if (nonceBytes.length < 16)
    throw unauthorized("malformed_authorization", "the nonce must be at least 16 random bytes");
  return {
    clientId: m[1]!,
    ts: Number(m[2]!),
    nonce: m[3]!,
    signature: new Uint8Array(Buffer.from(m[4]!, "base64url")),
  };
}

/** The bytes a client signs for a request. */
export function signingInput(
  method: string,
  pathWithQuery: string,
  ts: number,
  nonce: string,
  body: Uint8Array,
): Buffer {
  const hash = createHash("sha256").update(body).digest("hex");
  return Buffer.from(
    `HPQMLS-REQUEST-V1\n${method.toUpperCase()}\n${pathWithQuery}\n${ts}\n${nonce}\n${hash}`,
    "utf8",
  );
}

/** The registration proof-of-possession input. */
export function registrationInput(identity: Uint8Array, signatureKey: Uint8Array): Buffer {
  return Buffer.from(`HPQMLS-REGISTER-V1\n${toHex(identity)}\n${toHex(signatureKey)}`, "utf8");
}

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64(raw) }, format: "jwk" });
}

export function verifyEd25519(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** Verifies signed requests against the clients in storage (public keys cached). */
export class Authenticator {
  private readonly keys = new Map<string, { client: ClientRecord; key: KeyObject }>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
  ) {}

  /** Returns the authenticated client or throws a 401 ApiError. */
  async authenticate(
    header: string | undefined,
    method: string,
    pathWithQuery: string,
    body: Uint8Array,
  ): Promise<ClientRecord> {
    const req = parseAuthorization(header);
    const now = this.clock();
    if (Math.abs(now / 1000 - req.ts) > MAX_SKEW_SECONDS)
      throw unauthorized(
        "stale_timestamp",
        `the request timestamp is more than ${MAX_SKEW_SECONDS} s away from the server's clock (${Math.floor(now / 1000)}); check the client's clock`,
      );
    const entry = await this.lookup(req.clientId);
    if (entry === undefined)
      throw unauthorized("unknown_client", "no client is registered with this id; register first");
    const input = signingInput(method, pathWithQuery, req.ts, req.nonce, body);
    if (!verifyEd25519(entry.key, input, req.signature))
      throw unauthorized(
        "bad_signature",
        "the signature does not verify: sign HPQMLS-REQUEST-V1, method, path with query, ts, nonce and the body's SHA-256 with the registered key",
      );
    // Nonces are checked after the signature, so nobody can burn another client's nonces.
    const expiresAt = (req.ts + MAX_SKEW_SECONDS) * 1000 + 1000;
    if (!(await this.storage.useNonce(req.clientId, req.nonce, expiresAt, now)))
      throw unauthorized(
        "replayed_request",
        "this nonce was already used: sign every request anew",
      );
    return entry.client;
  }

  private async lookup(clientId: string) {
    const cached = this.keys.get(clientId);
    if (cached !== undefined) return cached;
    const client = await this.storage.getClient(clientId);
    if (client === undefined) return undefined;
    const entry = { client, key: ed25519PublicKey(client.signatureKey) };
    if (this.keys.size >= 10_000) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(clientId, entry);
    return entry;
  }
}
