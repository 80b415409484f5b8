import { type Logger, pino } from "pino";

/**
 * The service's pino logger: JSON lines, and never a body, an Authorization header, a payload,
 * a signature or a key. Requests are logged as method, route URL and status only.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "authorization",
  "body",
  "req.body",
  "payload",
  "*.messageB64",
  "*.welcomeB64",
  "*.groupInfoPairB64",
  "*.keyPackagePairB64",
  "*.keyPackagePairsB64",
  "*.signatureKeyB64",
  "*.proofB64",
  "*.identityB64",
];

export const serializers = {
  req(req: { method?: string; url?: string; id?: string; ip?: string }) {
    // The query string carries no secrets (after, limit); the path carries group ids only.
    return { id: req.id, method: req.method, url: req.url, remoteAddress: req.ip };
  },
  res(res: { statusCode?: number }) {
    return { statusCode: res.statusCode };
  },
  err(err: Error & { code?: string; statusCode?: number }) {
    return { type: err.name, message: err.message, code: err.code, statusCode: err.statusCode };
  },
};

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers,
    base: { service: "hpqmls-server" },
  };
  return destination === undefined
    ? pino(options)
    : pino(options, destination as unknown as pino.DestinationStream);
}
