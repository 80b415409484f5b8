/**
 * The error answer of the API: `{ error: { code, message, ...details } }` with a 4xx status for
 * every client mistake; 5xx only for faults of the service itself.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields of the `error` object (e.g. the current epochs of a 409). */
    readonly details: Readonly<Record<string, unknown>> = {},
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} does not exist`);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);

export function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message, {}, { "www-authenticate": "HPQMLS-Ed25519" });
}

/** 409: another client posted these exact bytes already (a replay). */
export function duplicateMessage(seq: number) {
  return new ApiError(
    409,
    "duplicate_message",
    "this message is already in the group's log, posted by another client",
    { seq },
  );
}

export function epochConflict(currentTEpoch: number, currentPqEpoch: number, message?: string) {
  return new ApiError(
    409,
    "epoch_conflict",
    message ??
      "another message moved the group to a newer epoch: fetch and process the group's messages, then retry",
    { currentTEpoch, currentPqEpoch },
  );
}
