/**
 * The error hierarchy of mls-core. Every error the library throws on purpose is an `MlsError`,
 * and its `kind` tells the caller whose fault it is and what to do:
 *
 * - `codec`: bytes that are not a valid encoding (truncated, overlong, non-minimal, trailing
 *   data). The sender or transport is at fault; drop the message.
 * - `validation`: well-formed input that breaks a rule of the protocol. `rule` names the RFC
 *   section it enforces. The sender is at fault; drop the message.
 * - `crypto`: a signature, MAC, confirmation tag or AEAD check failed, or a key is invalid.
 *   The message was forged, tampered with, or meant for another epoch or group.
 * - `usage`: the caller used the API wrongly (wrong state, wrong arguments). Fix the calling code.
 * - `internal`: a bug in this library. Please report it.
 *
 * Messages never contain secret values.
 */
export type MlsErrorKind = "codec" | "validation" | "crypto" | "usage" | "internal";

export abstract class MlsError extends Error {
  abstract readonly kind: MlsErrorKind;
  override get name(): string {
    return this.constructor.name;
  }
}

/** Malformed encoding (RFC 9420 §2.1). */
export class CodecError extends MlsError {
  readonly kind = "codec" as const;
}

/** A protocol rule was broken. `rule` cites the RFC section, e.g. "RFC9420 §12.2". */
export class ValidationError extends MlsError {
  readonly kind = "validation" as const;
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(`${message} (${rule})`);
  }
}

/** A cryptographic check failed: signature, MAC, tag, AEAD, or an invalid key. */
export class CryptoError extends MlsError {
  readonly kind = "crypto" as const;
}

/** The API was used wrongly. */
export class UsageError extends MlsError {
  readonly kind = "usage" as const;
}

/** A bug in this library: an invariant did not hold. */
export class InternalError extends MlsError {
  readonly kind = "internal" as const;
}

export function isMlsError(e: unknown): e is MlsError {
  return e instanceof MlsError;
}
