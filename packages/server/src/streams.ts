import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { FastifyBaseLogger } from "fastify";
import { messageView } from "./context.js";
import { ApiError } from "./errors.js";
import type { MessageEvent, Storage } from "./storage/types.js";

/** How often a stream re-reads the database without a notification, and sends a heartbeat. */
export interface StreamTimings {
  readonly pollMs: number;
  readonly heartbeatMs: number;
}

export const DEFAULT_STREAM_TIMINGS: StreamTimings = { pollMs: 5000, heartbeatMs: 15000 };
const BATCH = 200;

/** How many streams may be open at once: in all, and per client. */
export interface StreamLimits {
  readonly maxStreams: number;
  readonly maxStreamsPerClient: number;
}

const DEFAULT_LIMITS: StreamLimits = { maxStreams: 1000, maxStreamsPerClient: 8 };

interface Stream {
  readonly groupId: string;
  readonly clientId: string;
  wake(): void;
  end(): void;
}

/**
 * Server-Sent Event streams of group messages. A stream never forwards event payloads: an event
 * (from this process, or PostgreSQL NOTIFY from another instance) only wakes it, and it reads
 * the messages after its cursor from the database, in seq order. Replay and live delivery are
 * the same loop, so there are no gaps and no duplicates, whatever the order of notifications.
 */
export class StreamHub {
  private readonly streams = new Set<Stream>();
  private readonly perClient = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly storage: Storage,
    private readonly log: FastifyBaseLogger,
    private readonly timings: StreamTimings = DEFAULT_STREAM_TIMINGS,
    private readonly limits: StreamLimits = DEFAULT_LIMITS,
  ) {
    this.unsubscribe = storage.subscribe((e: MessageEvent) => {
      for (const s of this.streams) if (e.groupId === "*" || e.groupId === s.groupId) s.wake();
    });
  }

  get size(): number {
    return this.streams.size;
  }

  /** Open streams of one client. */
  countOf(clientId: string): number {
    return this.perClient.get(clientId) ?? 0;
  }

  /**
   * Throws unless `clientId` may open one more stream: 429 when it has its share open, 503 when
   * the service has as many as it serves. Call it right before `open` (no await in between).
   */
  admit(clientId: string): void {
    const mine = this.countOf(clientId);
    if (mine >= this.limits.maxStreamsPerClient)
      throw new ApiError(
        429,
        "too_many_streams",
        `this client has ${mine} streams open, the most allowed; close one (or read with GET …/messages) and retry`,
        { limit: this.limits.maxStreamsPerClient },
        { "retry-after": "5" },
      );
    if (this.streams.size >= this.limits.maxStreams)
      throw new ApiError(
        503,
        "too_many_streams",
        "the service has as many streams open as it serves; retry later, or read with GET …/messages",
        {},
        { "retry-after": "5" },
      );
  }

  /**
   * Streams the group's messages after `after` to `raw` until the client disconnects or the hub
   * closes. `refreshLimit` re-reads the caller's membership: a removed member gets the messages
   * up to the commit that removed it, then the stream ends.
   */
  open(
    raw: ServerResponse,
    groupId: string,
    after: number,
    upTo: number | null,
    refreshLimit: () => Promise<number | null>,
    clientId = "",
  ): void {
    let cursor = after;
    let limit = upTo;
    let running = false;
    let again = false;
    let ended = false;

    const write = async (chunk: string) => {
      if (ended || raw.destroyed) return;
      if (!raw.write(chunk)) await Promise.race([once(raw, "drain"), once(raw, "close")]);
    };
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(poll);
      clearInterval(heartbeat);
      this.streams.delete(stream);
      const left = this.countOf(clientId) - 1;
      if (left > 0) this.perClient.set(clientId, left);
      else this.perClient.delete(clientId);
      if (!raw.writableEnded) raw.end();
    };
    const pump = async () => {
      if (ended) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          for (;;) {
            const batch = await this.storage.readMessages(groupId, cursor, BATCH, limit);
            for (const m of batch) {
              if (ended) return;
              await write(`id: ${m.seq}\ndata: ${JSON.stringify(messageView(m))}\n\n`);
              cursor = m.seq;
            }
            if (batch.length < BATCH) break;
          }
          if (limit !== null && cursor >= limit) return end();
        } while (again && !ended);
      } catch (e) {
        // The client reconnects with Last-Event-ID and nothing is lost.
        this.log.warn({ err: e, groupId }, "stream failed; closing it");
        end();
      } finally {
        running = false;
      }
    };
    const stream: Stream = { groupId, clientId, wake: () => void pump(), end };
    const poll = setInterval(() => {
      void (async () => {
        try {
          limit = await refreshLimit();
        } catch {
          // keep the previous limit; the next read reports a broken database
        }
        await pump();
      })();
    }, this.timings.pollMs);
    const heartbeat = setInterval(() => {
      // A client that does not read gets no more heartbeats queued (memory stays bounded).
      if (!ended && !raw.destroyed && !raw.writableNeedDrain) raw.write(": heartbeat\n\n");
    }, this.timings.heartbeatMs);
    poll.unref();
    heartbeat.unref();
    raw.on("close", end);
    raw.on("error", end);
    this.streams.add(stream);
    this.perClient.set(clientId, this.countOf(clientId) + 1);
    // The client may have gone while the request was authenticated: "close" was emitted already.
    if (raw.destroyed) end();
    else void pump();
  }

  /** Ends every stream (the server is closing; clients reconnect elsewhere). */
  close(): void {
    this.unsubscribe();
    for (const s of [...this.streams]) s.end();
  }
}
