import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { isMlsError } from "@hpqmls/mls-core";
import { PolicyError } from "@hpqmls/pq-combiner";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { z } from "zod";
import { Authenticator } from "./auth.js";
import { DEFAULT_CONFIG } from "./config.js";
import { consoleRoutes } from "./console/index.js";
import type { AppContext } from "./context.js";
import { ApiError } from "./errors.js";
import { Metrics } from "./metrics.js";
import { openApiTransform, SECURITY_SCHEME } from "./openapi.js";
import { clientRoutes } from "./routes/clients.js";
import { groupInfoRoutes } from "./routes/groupinfo.js";
import { groupRoutes } from "./routes/groups.js";
import { keyPackageRoutes } from "./routes/keypackages.js";
import { messageRoutes } from "./routes/messages.js";
import { opsRoutes } from "./routes/ops.js";
import { policyRoutes } from "./routes/policy.js";
import { streamRoutes } from "./routes/stream.js";
import { welcomeRoutes } from "./routes/welcomes.js";
import { isConnectivityError, StorageUnavailableError } from "./storage/driver.js";
import type { Storage } from "./storage/types.js";
import { DEFAULT_STREAM_TIMINGS, StreamHub, type StreamTimings } from "./streams.js";

export interface AppOptions {
  readonly storage: Storage;
  /** A pino logger (or any Fastify logger); default: no logs. */
  readonly logger?: FastifyBaseLogger;
  /** Maximum request body in bytes (default 1 MiB); 413 above. */
  readonly bodyLimit?: number;
  /** Requests per minute per authenticated client (default 600). */
  readonly rateLimit?: number;
  /** Requests per minute per IP address (default 10 × rateLimit). */
  readonly ipRateLimit?: number;
  /**
   * ms since the Unix epoch for the group timeline (activity, schedule, inactivity). Request
   * signatures are always checked against the real clock.
   */
  readonly clock?: () => number;
  /** Also export the process metrics (CPU, memory, event loop) of prom-client. */
  readonly processMetrics?: boolean;
  /** Stream polling and heartbeat intervals. */
  readonly streamTimings?: StreamTimings;
  /**
   * ms to receive a whole request, headers and body (default 30 s; 0: no limit); a client that
   * trickles its request gets 408 and the connection is closed.
   */
  readonly requestTimeout?: number;
  /**
   * ms a connection may stay without any traffic before it is closed (default 90 s; 0: never).
   * Streams send heartbeats, so it must be longer than the stream heartbeat.
   */
  readonly connectionTimeout?: number;
  /** ms to answer a request once received (default 30 s; 0: no limit); 503 above. */
  readonly handlerTimeout?: number;
  /** Open connections at most (default 10 000); further connections are closed at once. */
  readonly maxConnections?: number;
  /** Open event streams at most (default 1000); 503 with Retry-After above. */
  readonly maxStreams?: number;
  /** Open event streams per client at most (default 8); 429 with Retry-After above. */
  readonly maxStreamsPerClient?: number;
}

const RATE_WINDOW_MS = 60_000;
/** Unmetered and unlimited: orchestration probes and scrapers. */
const OPS_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

function validationMessage(part: string, error: z.ZodError): string {
  return error.issues
    .map((i) => `${[part, ...i.path.map(String)].join(".")}: ${i.message}`)
    .join("; ");
}

/** Maps any error to the API's error answer. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StorageUnavailableError || isConnectivityError(err))
    return new ApiError(
      503,
      "database_unavailable",
      "the service cannot reach its database; retry later",
      {},
      { "retry-after": "5" },
    );
  if (err instanceof PolicyError) return new ApiError(400, "invalid_policy", err.message);
  if (isMlsError(err) && err.kind !== "internal")
    return new ApiError(400, "malformed_message", err.message);
  const e = err as FastifyError & { validationContext?: string };
  switch (e.code) {
    case "FST_ERR_VALIDATION":
      return new ApiError(400, "invalid_request", e.message);
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, "payload_too_large", "the request body is larger than allowed");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "unsupported_media_type", "send bodies as application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, "malformed_json", "the request body is not valid JSON");
  }
  if (err instanceof SyntaxError)
    return new ApiError(400, "malformed_json", "the request body is not valid JSON");
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return new ApiError(status, (e.code ?? "bad_request").toLowerCase(), e.message);
  return new ApiError(500, "internal_error", "the service failed; try again later");
}

/**
 * The delivery service as a Fastify instance: `app.inject()` in tests, or `app.listen()`.
 * The storage is the caller's: closing the app does not close it.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const storage = options.storage;
  const clock = options.clock ?? Date.now;
  const clientLimit = options.rateLimit ?? 600;
  const ipLimit = options.ipRateLimit ?? clientLimit * 10;
  const requestTimeout = options.requestTimeout ?? DEFAULT_CONFIG.requestTimeout;
  const connectionTimeout = options.connectionTimeout ?? DEFAULT_CONFIG.connectionTimeout;
  const handlerTimeout = options.handlerTimeout ?? DEFAULT_CONFIG.handlerTimeout;
  const heartbeatMs = options.streamTimings?.heartbeatMs ?? DEFAULT_STREAM_TIMINGS.heartbeatMs;
  if (connectionTimeout > 0 && connectionTimeout <= heartbeatMs)
    throw new Error(
      `connectionTimeout (${connectionTimeout} ms) must be longer than the stream heartbeat (${heartbeatMs} ms)`,
    );
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: false,
    return503OnClosing: true,
    requestTimeout,
    connectionTimeout,
    http: {
      requestTimeout,
      headersTimeout: Math.min(60_000, requestTimeout),
      // Node checks the request and headers timeouts every this many ms (default 30 s).
      connectionsCheckingInterval:
        requestTimeout > 0
          ? Math.min(30_000, Math.max(100, Math.floor(requestTimeout / 4)))
          : 30_000,
    },
  }) as unknown as FastifyInstance;
  app.server.maxConnections = options.maxConnections ?? DEFAULT_CONFIG.maxConnections;

  const metrics = new Metrics({ processMetrics: options.processMetrics ?? false });
  const streams = new StreamHub(storage, app.log, options.streamTimings, {
    maxStreams: options.maxStreams ?? DEFAULT_CONFIG.maxStreams,
    maxStreamsPerClient: options.maxStreamsPerClient ?? DEFAULT_CONFIG.maxStreamsPerClient,
  });
  const ctx: AppContext = { storage, clock, metrics, streams };
  const auth = new Authenticator(storage, Date.now);

  // Requests are validated by zod; responses are plain JSON (their schemas document them).
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const s = schema as z.ZodType;
    return (data: unknown) => {
      const r = s.safeParse(data);
      if (r.success) return { value: r.data };
      const error = new Error(validationMessage(httpPart ?? "request", r.error)) as FastifyError;
      error.statusCode = 400;
      return { error };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // JSON only; the raw bytes are kept because signed requests hash them.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    req.rawBody = body as Buffer;
    parseJson(req, body as unknown as string, done);
  });
  app.decorateRequest("client", null);
  app.decorateRequest("rawBody", null);

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "hpqmls delivery service",
        version: "1.0.0",
        description:
          "Delivery service and policy authority of APQ-MLS groups (packages/server/API.md). Binary fields are base64url without padding. /v1 requests are signed: see the signedRequest scheme.",
      },
      components: { securitySchemes: SECURITY_SCHEME },
      security: [{ signedRequest: [] }],
    },
    transform: openApiTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  await app.register(rateLimit, { global: false });

  const perIp = app.createRateLimit({
    max: ipLimit,
    timeWindow: RATE_WINDOW_MS,
    keyGenerator: (req) => `ip:${req.ip}`,
  });
  const perClient = app.createRateLimit({
    max: clientLimit,
    timeWindow: RATE_WINDOW_MS,
    keyGenerator: (req) => `client:${req.client?.clientId ?? req.ip}`,
  });
  const enforce = async (
    r: Awaited<ReturnType<typeof perIp>>,
    reply: FastifyReply,
    who: string,
  ): Promise<void> => {
    if (r.isAllowed) return;
    reply.header("x-ratelimit-limit", r.max);
    reply.header("x-ratelimit-remaining", r.remaining);
    if (r.isExceeded)
      throw new ApiError(
        429,
        "rate_limited",
        `too many requests ${who} (at most ${r.max} per minute); retry in ${r.ttlInSeconds} s`,
        {},
        { "retry-after": String(r.ttlInSeconds) },
      );
  };

  const routeOf = (req: FastifyRequest) => req.routeOptions.url ?? "unmatched";
  // The handler timeout (Fastify's own `handlerTimeout` stops counting once a request body has
  // been read, so a POST waiting on a stuck database would hang): 503 unless answered in time.
  // A request still in its hooks then never reaches its handler; one already in its handler
  // may still take effect (its answer goes nowhere).
  if (handlerTimeout > 0)
    app.addHook("onRequest", async (_req, reply) => {
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return;
        reply.send(
          new ApiError(
            503,
            "timeout",
            `the service did not answer within ${handlerTimeout} ms; retry later (the request may have taken effect: read before repeating it)`,
            {},
            { "retry-after": "5" },
          ),
        );
      }, handlerTimeout);
      reply.raw.once("close", () => clearTimeout(timer));
      reply.raw.once("finish", () => clearTimeout(timer));
    });
  app.addHook("onRequest", async (req, reply) => {
    if (OPS_ROUTES.has(routeOf(req))) return;
    await enforce(await perIp(req), reply, "from this address");
  });
  app.addHook("preValidation", async (req) => {
    const route = req.routeOptions.url;
    if (route === undefined || !route.startsWith("/v1/") || req.routeOptions.config.public) return;
    req.client = await auth.authenticate(
      req.headers.authorization,
      req.method,
      req.url,
      req.rawBody ?? new Uint8Array(0),
    );
  });
  app.addHook("preHandler", async (req, reply) => {
    if (req.client !== null) await enforce(await perClient(req), reply, "by this client");
  });
  app.addHook("onResponse", async (req, reply) => {
    const route = routeOf(req);
    if (route === "/metrics") return;
    metrics.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.code === "database_unavailable") metrics.dbErrors.inc();
    if (e.statusCode >= 500) req.log.error({ err }, "request failed");
    else req.log.info({ code: e.code, statusCode: e.statusCode }, "request refused");
    reply.code(e.statusCode).headers(e.headers).send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      error: {
        code: "not_found",
        message: `there is no route ${req.method} ${req.url.split("?")[0]}`,
      },
    });
  });

  clientRoutes(app, ctx);
  keyPackageRoutes(app, ctx);
  groupRoutes(app, ctx);
  messageRoutes(app, ctx);
  streamRoutes(app, ctx);
  welcomeRoutes(app, ctx);
  groupInfoRoutes(app, ctx);
  policyRoutes(app, ctx);
  opsRoutes(app, ctx);
  await consoleRoutes(app, ctx);

  // Open streams would keep the HTTP server from closing.
  app.addHook("preClose", async () => streams.close());
  await app.ready();
  return app;
}
