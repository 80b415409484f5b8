import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../errors.js";

/**
 * Who may use the operator console's JSON API (/v1/console/*). The console is an operator's
 * view of every group, so it is not open to the clients of the service:
 *
 * - `HPQMLS_CONSOLE_TOKEN` set (at least 16 characters): every request carries
 *   `Authorization: Bearer <token>`, from any address. The pages ask for it once and keep it in
 *   the tab's sessionStorage.
 * - unset (the default): loopback only. The request must come from 127.0.0.0/8 or ::1 and name
 *   a loopback host (127.0.0.1, localhost, [::1]) in its Host header, which stops a web page of
 *   another site from reaching the console through DNS rebinding. Behind a reverse proxy on the
 *   same machine every request looks local: set a token there.
 * - `HPQMLS_CONSOLE=off`: no console at all (its routes answer 404).
 *
 * The one request that changes state (PUT policy) also needs a JSON body (so a cross-site form
 * cannot send it: JSON from another origin needs a CORS preflight, which the service never
 * grants) and, when the browser sends an Origin header, the service's own origin.
 */

export interface ConsoleOptions {
  /** false: the console is not served. */
  readonly enabled: boolean;
  /** The operator token; undefined: loopback only. */
  readonly token: string | undefined;
  /** Where the bench report's SVG charts are (bench/results of the repository by default). */
  readonly benchDir: string | undefined;
}

export const MIN_TOKEN_LENGTH = 16;

/** The console options from the environment (HPQMLS_CONSOLE, HPQMLS_CONSOLE_TOKEN, HPQMLS_BENCH_DIR). */
export function consoleOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleOptions {
  const flag = (env.HPQMLS_CONSOLE ?? "").trim().toLowerCase();
  const token = env.HPQMLS_CONSOLE_TOKEN?.trim();
  if (token !== undefined && token !== "" && token.length < MIN_TOKEN_LENGTH)
    throw new Error(
      `HPQMLS_CONSOLE_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24)`,
    );
  return {
    enabled: !["off", "0", "false", "no"].includes(flag),
    token: token === undefined || token === "" ? undefined : token,
    benchDir: env.HPQMLS_BENCH_DIR?.trim() || undefined,
  };
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function isLoopbackAddress(ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4 === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The host name of a Host header value (without the port). */
function hostName(host: string | undefined): string {
  if (host === undefined) return "";
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.replace(/:\d+$/, "");
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

function consoleUnauthorized(message: string): ApiError {
  return new ApiError(401, "console_unauthorized", message, {}, { "www-authenticate": "Bearer" });
}

/** Throws 401/403 unless the request may use the console API. */
export function authorizeConsole(req: FastifyRequest, options: ConsoleOptions): void {
  if (options.token !== undefined) {
    const h = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m === null)
      throw consoleUnauthorized(
        "the console needs the operator token: send Authorization: Bearer <HPQMLS_CONSOLE_TOKEN>",
      );
    if (!timingSafeEqual(digest(m[1]!), digest(options.token)))
      throw consoleUnauthorized("wrong operator token");
    return;
  }
  if (!isLoopbackAddress(req.socket.remoteAddress) || !LOOPBACK_HOSTS.has(hostName(req.host)))
    throw new ApiError(
      403,
      "console_loopback_only",
      "the console answers loopback requests only (http://127.0.0.1:<port>/console on the server's machine); set HPQMLS_CONSOLE_TOKEN to open it to other addresses",
    );
}

/** For state-changing console requests: no cross-origin browser request. */
export function requireSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  // Both through URL, so that default ports compare equal (http://h:80 is http://h).
  const hostOf = (url: string) => {
    try {
      return new URL(url).host;
    } catch {
      return undefined;
    }
  };
  const host = hostOf(origin);
  if (host === undefined || host !== hostOf(`http://${req.host}`))
    throw new ApiError(403, "cross_origin", "console changes must come from the console's origin");
}
