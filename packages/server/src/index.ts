/**
 * @hpqmls/server — the hpqmls delivery service (packages/server/API.md).
 */
export const SERVER_API_VERSION = "v1";

export { type AppOptions, buildApp } from "./app.js";
export * from "./auth.js";
export * from "./config.js";
export { consoleOptionsFromEnv } from "./console/auth.js";
export { ApiError } from "./errors.js";
export * from "./inspect.js";
export { createLogger, REDACT_PATHS } from "./logger.js";
export { Metrics } from "./metrics.js";
export { type RunningServer, startServer } from "./server.js";
export * from "./storage/index.js";
export { StreamHub, type StreamTimings } from "./streams.js";
