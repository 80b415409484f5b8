import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { type ConsoleOptions, consoleOptionsFromEnv } from "./auth.js";
import { BundleCache, type BundleName, PUBLIC_DIR } from "./bundle.js";
import { BENCH_FILE, benchDirOf, consoleApi } from "./routes.js";

export { authorizeConsole, type ConsoleOptions, consoleOptionsFromEnv } from "./auth.js";
export { BundleCache, buildBundle, writeConsoleBundles } from "./bundle.js";

/**
 * The operator console and the chat demo (issue 10), served by the delivery service:
 *
 * - /console                 groups: members, T and PQ epochs, mode, suites
 * - /console/groups/<id>     a group: commit timeline (FULL / PARTIAL, bytes, time), policy
 *                            (editable), what the schedule says is due and why, inactive members
 * - /console/bench           the bench report's SVG charts (bench/results/*.svg)
 * - /console/chat            the chat demo: an APQ-MLS client running in the page
 * - /v1/console/*            the JSON the pages read (./routes.ts; access: ./auth.ts)
 *
 * Pages are static HTML (public/console/); their scripts are bundled by esbuild (./bundle.ts).
 */

const PAGES: Readonly<Record<string, string>> = {
  "/console": "index.html",
  "/console/": "index.html",
  "/console/groups/:groupId": "group.html",
  "/console/bench": "bench.html",
  "/console/chat": "chat.html",
};

/** The console's pages fetch only their own origin; the chat page talks to the /v1 API. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

function secure(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cache-control", "no-cache");
}

/** Registers the console (unless HPQMLS_CONSOLE=off). */
export async function consoleRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  options: ConsoleOptions = consoleOptionsFromEnv(),
): Promise<void> {
  if (!options.enabled) return;
  const bundles = new BundleCache();
  const hidden = { schema: { hide: true } };

  for (const [url, file] of Object.entries(PAGES)) {
    app.get(url, hidden, async (_req, reply) => {
      bundles.warm();
      const html = await readFile(join(PUBLIC_DIR, file), "utf8");
      return secure(reply, "text/html; charset=utf-8").send(html);
    });
  }

  app.get("/console/assets/console.css", hidden, async (_req, reply) =>
    secure(reply, "text/css; charset=utf-8").send(
      await readFile(join(PUBLIC_DIR, "console.css"), "utf8"),
    ),
  );

  app.get<{ Params: { name: string } }>("/console/assets/:name", hidden, async (req, reply) => {
    const m = /^(console|chat)\.js$/.exec(req.params.name);
    if (m === null) throw new ApiError(404, "not_found", `no console asset ${req.params.name}`);
    let code: string;
    try {
      code = (await bundles.get(m[1] as BundleName)).code;
    } catch (e) {
      req.log.error({ err: e }, "console bundle failed");
      throw new ApiError(
        503,
        "console_unavailable",
        (e as Error).message,
        {},
        { "retry-after": "5" },
      );
    }
    return secure(reply, "text/javascript; charset=utf-8").send(code);
  });

  app.get<{ Params: { file: string } }>("/console/bench/:file", hidden, async (req, reply) => {
    const name = req.params.file;
    if (!BENCH_FILE.test(name)) throw new ApiError(404, "not_found", `no chart ${name}`);
    let svg: Buffer;
    try {
      svg = await readFile(join(benchDirOf(options), name));
    } catch {
      throw new ApiError(404, "not_found", `no chart ${name}`);
    }
    // Shown through <img>, where an SVG's scripts never run; the CSP also forbids them.
    return secure(reply, "image/svg+xml")
      .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
      .send(svg);
  });

  await consoleApi(app, ctx, options);
}
