import type { KeyPair } from "@hpqmls/mls-core";
import { b64, unb64 } from "./base64.js";
import { authorizationHeader, registrationProof } from "./signing.js";

/** An error answer of the service (`{ error: { code, message } }`). */
export class ServiceError extends Error {
  override readonly name: string = "ServiceError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
    /** The answer's Retry-After, in seconds (503, 429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/** 409: another commit won this epoch; process the group's messages and try again. */
export class EpochConflictError extends ServiceError {
  override readonly name = "EpochConflictError";
}

export interface StoredMessage {
  readonly seq: number;
  readonly kind: string;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  readonly sender: string | null;
  readonly message: Uint8Array;
}

export interface GroupSummary {
  readonly groupId: string;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  readonly members?: unknown;
}

/**
 * A typed wrapper of the service's HTTP API (packages/server/API.md) that signs every request
 * with the client's Ed25519 key.
 */
export class ServiceClient {
  private constructor(
    readonly baseUrl: string,
    readonly clientId: string,
    private readonly key: KeyPair,
  ) {}

  /** Registers (or re-registers) a client and returns a signed-request client for it. */
  static async register(
    baseUrl: string,
    identity: Uint8Array,
    key: KeyPair,
  ): Promise<ServiceClient> {
    const url = baseUrl.replace(/\/$/, "");
    const res = await fetch(`${url}/v1/clients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        identityB64: b64(identity),
        signatureKeyB64: b64(key.publicKey),
        proofB64: b64(await registrationProof(key, identity)),
      }),
    });
    const body = (await readJson(res)) as { clientId: string };
    return new ServiceClient(url, body.clientId, key);
  }

  /** A client for an already registered id. */
  static connect(baseUrl: string, clientId: string, key: KeyPair): ServiceClient {
    return new ServiceClient(baseUrl.replace(/\/$/, ""), clientId, key);
  }

  /**
   * One API call. Reads (GET) and message posts are safe to repeat, so they are retried as
   * `retry` says when the outcome is unknown or the service asks to come back: a 503 (its
   * Retry-After honoured up to `maxDelayMs`) or a connection lost before the answer. Each
   * attempt is signed afresh (new nonce).
   */
  private async request(method: string, path: string, json?: unknown): Promise<unknown> {
    const repeatable = method === "GET" || /^\/v1\/groups\/[^/]+\/messages$/.test(path);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.requestOnce(method, path, json);
      } catch (e) {
        const unavailable = e instanceof ServiceError && e.status === 503;
        // fetch rejects with a TypeError when the connection fails or drops.
        const lost = e instanceof TypeError;
        if (!repeatable || (!unavailable && !lost) || attempt >= this.retry.attempts) throw e;
        const after = unavailable ? e.retryAfterSeconds : undefined;
        const delay = Math.min(
          this.retry.maxDelayMs,
          after !== undefined ? after * 1000 : 200 * 2 ** attempt,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async requestOnce(method: string, path: string, json?: unknown): Promise<unknown> {
    const body =
      json === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(json));
    const headers: Record<string, string> = {
      authorization: await authorizationHeader(this.clientId, this.key, method, path, body),
    };
    if (json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(json === undefined ? {} : { body }),
    });
    return readJson(res);
  }

  me(): Promise<{ clientId: string; identityB64: string }> {
    return this.request("GET", "/v1/clients/me") as Promise<{
      clientId: string;
      identityB64: string;
    }>;
  }

  // ---- key packages ----

  async publishKeyPackages(pairs: readonly Uint8Array[]): Promise<number> {
    const r = (await this.request("POST", "/v1/keypackages", {
      keyPackagePairsB64: pairs.map(b64),
    })) as { stored: number };
    return r.stored;
  }

  async claimKeyPackage(identity: Uint8Array): Promise<{ pair: Uint8Array; lastResort: boolean }> {
    const r = (await this.request("POST", "/v1/keypackages/claim", {
      identityB64: b64(identity),
    })) as {
      keyPackagePairB64: string;
      lastResort: boolean;
    };
    return { pair: unb64(r.keyPackagePairB64), lastResort: r.lastResort };
  }

  keyPackageCount(): Promise<{ remaining: number; lastResort: boolean }> {
    return this.request("GET", "/v1/keypackages/count") as Promise<{
      remaining: number;
      lastResort: boolean;
    }>;
  }

  // ---- groups ----

  async createGroup(
    groupInfoPair: Uint8Array,
    policy?: unknown,
  ): Promise<GroupSummary & { policy: unknown }> {
    return (await this.request("POST", "/v1/groups", {
      groupInfoPairB64: b64(groupInfoPair),
      ...(policy === undefined ? {} : { policy }),
    })) as GroupSummary & { policy: unknown };
  }

  listGroups(): Promise<GroupSummary[]> {
    return this.request("GET", "/v1/groups") as Promise<GroupSummary[]>;
  }

  getGroup(groupId: string): Promise<Record<string, unknown>> {
    return this.request("GET", `/v1/groups/${groupId}`) as Promise<Record<string, unknown>>;
  }

  /**
   * How reads and message posts are retried (see `request`). A message post is safe to repeat
   * because the service stores each message once (API.md, "Each message is stored once"): a
   * retry never duplicates a message.
   */
  readonly retry = { attempts: 4, maxDelayMs: 5000 };

  /**
   * Posts a message; throws EpochConflictError on 409 (another commit won the epoch). An answer
   * lost on the way is retried (`retry`); if the first attempt had got through, the answer is
   * that stored copy's.
   */
  async postMessage(
    groupId: string,
    message: Uint8Array,
    extra: { welcome?: Uint8Array; groupInfoPair?: Uint8Array } = {},
  ): Promise<{ seq: number; kind: string; tEpoch: number; pqEpoch: number }> {
    const json = {
      messageB64: b64(message),
      ...(extra.welcome === undefined ? {} : { welcomeB64: b64(extra.welcome) }),
      ...(extra.groupInfoPair === undefined ? {} : { groupInfoPairB64: b64(extra.groupInfoPair) }),
    };
    return (await this.request("POST", `/v1/groups/${groupId}/messages`, json)) as {
      seq: number;
      kind: string;
      tEpoch: number;
      pqEpoch: number;
    };
  }

  async readMessages(
    groupId: string,
    after: number,
    limit = 500,
  ): Promise<{ messages: StoredMessage[]; next: number }> {
    const r = (await this.request(
      "GET",
      `/v1/groups/${groupId}/messages?after=${after}&limit=${limit}`,
    )) as {
      messages: (Omit<StoredMessage, "message"> & { messageB64: string })[];
      next: number;
    };
    return {
      messages: r.messages.map(({ messageB64, ...m }) => ({ ...m, message: unb64(messageB64) })),
      next: r.next,
    };
  }

  /**
   * Server-Sent Events of a group from `after` on; calls `onMessage` in order until `signal`
   * aborts. Resumes after network errors from the last sequence number seen.
   */
  async stream(
    groupId: string,
    after: number,
    onMessage: (m: StoredMessage) => void | Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    let last = after;
    while (!signal.aborted) {
      const path = `/v1/groups/${groupId}/stream?after=${last}`;
      try {
        const res = await fetch(`${this.baseUrl}${path}`, {
          headers: {
            authorization: await authorizationHeader(
              this.clientId,
              this.key,
              "GET",
              path,
              new Uint8Array(0),
            ),
            accept: "text/event-stream",
          },
          signal,
        });
        if (!res.ok || res.body === null) await readJson(res);
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i = buf.indexOf("\n\n");
          while (i >= 0) {
            const event = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = event
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trim())
              .join("");
            if (data.length > 0) {
              const m = JSON.parse(data) as Omit<StoredMessage, "message"> & { messageB64: string };
              if (m.seq > last) {
                last = m.seq;
                const { messageB64, ...rest } = m;
                await onMessage({ ...rest, message: unb64(messageB64) });
              }
            }
            i = buf.indexOf("\n\n");
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ServiceError && e.status < 500) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async welcomes(): Promise<{ groupId: string; welcome: Uint8Array; seq: number }[]> {
    const r = (await this.request("GET", "/v1/welcomes")) as {
      groupId: string;
      welcomeB64: string;
      seq: number;
    }[];
    return r.map((w) => ({ groupId: w.groupId, seq: w.seq, welcome: unb64(w.welcomeB64) }));
  }

  async deleteWelcome(seq: number): Promise<void> {
    await this.request("DELETE", `/v1/welcomes/${seq}`);
  }

  async putGroupInfo(groupId: string, groupInfoPair: Uint8Array): Promise<void> {
    await this.request("PUT", `/v1/groups/${groupId}/groupinfo`, {
      groupInfoPairB64: b64(groupInfoPair),
    });
  }

  async getGroupInfo(
    groupId: string,
  ): Promise<{ groupInfoPair: Uint8Array; tEpoch: number; pqEpoch: number }> {
    const r = (await this.request("GET", `/v1/groups/${groupId}/groupinfo`)) as {
      groupInfoPairB64: string;
      tEpoch: number;
      pqEpoch: number;
    };
    return { groupInfoPair: unb64(r.groupInfoPairB64), tEpoch: r.tEpoch, pqEpoch: r.pqEpoch };
  }

  // ---- policy ----

  getPolicy(groupId: string): Promise<unknown> {
    return this.request("GET", `/v1/groups/${groupId}/policy`);
  }

  putPolicy(groupId: string, policy: unknown): Promise<unknown> {
    return this.request("PUT", `/v1/groups/${groupId}/policy`, policy);
  }

  schedule(
    groupId: string,
  ): Promise<{ decision: { update: string; rule: string; reason: string; inactive: string[] } }> {
    return this.request("GET", `/v1/groups/${groupId}/schedule`) as Promise<{
      decision: { update: string; rule: string; reason: string; inactive: string[] };
    }>;
  }

  inactive(groupId: string): Promise<unknown> {
    return this.request("GET", `/v1/groups/${groupId}/inactive`);
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (res.ok) return body;
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = err?.code ?? "http_error";
  const message = err?.message ?? res.statusText;
  if (res.status === 409) throw new EpochConflictError(res.status, code, message, body);
  const retryAfter = Number(res.headers.get("retry-after") ?? Number.NaN);
  throw new ServiceError(
    res.status,
    code,
    message,
    body,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  );
}
