import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one app instance (its own registry, so several apps can live in one
 * process, e.g. in tests).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<"method" | "route" | "status">;
  readonly latency: Histogram<"method" | "route" | "status">;
  readonly accepted: Counter<"kind">;
  readonly epochConflicts: Counter<"kind">;
  /** Posts of bytes already stored: `outcome` "retry" (same client, 200) or "replay" (409). */
  readonly duplicates: Counter<"kind" | "outcome">;
  readonly dbErrors: Counter;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "hpqmls_http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.latency = new Histogram({
      name: "hpqmls_http_request_duration_seconds",
      help: "HTTP request latency by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.accepted = new Counter({
      name: "hpqmls_messages_accepted_total",
      help: "Group messages accepted, by kind",
      labelNames: ["kind"],
      registers,
    });
    this.epochConflicts = new Counter({
      name: "hpqmls_epoch_conflicts_total",
      help: "Messages refused with 409 epoch_conflict, by kind",
      labelNames: ["kind"],
      registers,
    });
    this.duplicates = new Counter({
      name: "hpqmls_duplicate_messages_total",
      help: "Posts of a message already stored: retries by its sender (200) and replays by others (409)",
      labelNames: ["kind", "outcome"],
      registers,
    });
    this.dbErrors = new Counter({
      name: "hpqmls_database_errors_total",
      help: "Requests that failed because the database was unavailable or failed",
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one finished request; `route` is the route pattern, never the concrete URL. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
