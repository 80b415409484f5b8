import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import type { ServerConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { openStorage } from "./storage/index.js";
import type { Storage } from "./storage/types.js";

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly storage: Storage;
  /** Stops accepting requests, ends streams, closes the database. */
  close(): Promise<void>;
}

/** Opens the configured storage and listens. */
export async function startServer(
  config: ServerConfig,
  options: { logDestination?: NodeJS.WritableStream; processMetrics?: boolean } = {},
): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const storage = await openStorage(config);
  let app: FastifyInstance;
  try {
    app = await buildApp({
      storage,
      logger,
      bodyLimit: config.bodyLimit,
      rateLimit: config.rateLimit,
      requestTimeout: config.requestTimeout,
      connectionTimeout: config.connectionTimeout,
      handlerTimeout: config.handlerTimeout,
      maxConnections: config.maxConnections,
      maxStreams: config.maxStreams,
      maxStreamsPerClient: config.maxStreamsPerClient,
      processMetrics: options.processMetrics ?? true,
    });
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await storage.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  logger.info(
    { port, storage: storage.kind },
    `hpqmls delivery service listening on http://${host}:${port}`,
  );
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    app,
    storage,
    close() {
      closing ??= (async () => {
        try {
          await app.close();
        } finally {
          await storage.close();
        }
      })();
      return closing;
    },
  };
}
