import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { cipherSuiteInfo } from "@hpqmls/mls-core";
import {
  ApqMode,
  DEFAULT_POLICY,
  decide,
  type Policy,
  PolicySchema,
  parsePolicy,
} from "@hpqmls/pq-combiner";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { b64 } from "../base64.js";
import { type AppContext, loadGroup } from "../context.js";
import { ApiError } from "../errors.js";
import { serverSnapshot } from "../routes/policy.js";
import { GroupIdParams } from "../schemas.js";
import {
  clientIdentities,
  commitTimeline,
  consoleGroups,
  messageTotals,
} from "../storage/consoleQueries.js";
import { SqlStorage } from "../storage/sqlStorage.js";
import type { GroupRecord, MessageKind } from "../storage/types.js";
import { authorizeConsole, type ConsoleOptions, requireSameOrigin } from "./auth.js";
import { SERVER_ROOT } from "./bundle.js";

/**
 * The console's read-only JSON API (and its one write, the policy) under /v1/console. These
 * routes are not signed requests (`public` for the app's signature hook): they check the
 * operator's access themselves (./auth.ts).
 */

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const TimelineQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const BENCH_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.svg$/;

/** bench/results of the repository (packages/server/../../bench/results). */
export function benchDirOf(options: ConsoleOptions): string {
  return options.benchDir ?? join(SERVER_ROOT, "..", "..", "bench", "results");
}

/** A readable label for an identity: its UTF-8 text when printable, else base64url. */
export function identityLabel(identity: Uint8Array): string {
  try {
    const s = new TextDecoder("utf-8", { fatal: true }).decode(identity);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
    if (s.length > 0 && s.length <= 128 && !/[\u0000-\u001f\u007f-\u009f]/.test(s)) return s;
  } catch {
    // not UTF-8
  }
  return b64(identity);
}

function labelOfB64(id: string): string {
  return identityLabel(new Uint8Array(Buffer.from(id, "base64url")));
}

function suiteName(id: number): string {
  return cipherSuiteInfo(id)?.name ?? `0x${id.toString(16).padStart(4, "0")}`;
}

function modeName(mode: number): string {
  if (mode === ApqMode.confidentialityAndAuthenticity) return "PQ/T confidentiality + authenticity";
  if (mode === ApqMode.confidentiality) return "PQ/T confidentiality";
  return `mode ${mode}`;
}

function policyOf(g: GroupRecord): Policy {
  const r = PolicySchema.safeParse(g.policy);
  return r.success ? r.data : DEFAULT_POLICY;
}

const COMMIT_LABEL: Partial<Record<MessageKind, string>> = {
  "full-commit": "FULL",
  "partial-commit": "PARTIAL",
  "external-join": "FULL",
};

export async function consoleApi(
  app: FastifyInstance,
  ctx: AppContext,
  options: ConsoleOptions,
): Promise<void> {
  const db = () => {
    if (!(ctx.storage instanceof SqlStorage))
      throw new ApiError(501, "not_supported", "the console needs the SQL storage");
    return ctx.storage.driver;
  };
  const guard = async (req: FastifyRequest) => authorizeConsole(req, options);
  const route = { config: { public: true }, onRequest: guard };
  const hide = { hide: true, tags: ["console"] };

  app.get("/v1/console/status", { ...route, schema: { ...hide } }, async () => ({
    auth: options.token === undefined ? "loopback" : "token",
    storage: ctx.storage.kind,
    now: ctx.clock(),
  }));

  app.get<{ Querystring: z.infer<typeof ListQuery> }>(
    "/v1/console/groups",
    { ...route, schema: { ...hide, querystring: ListQuery } },
    async (req) => {
      const { groups, total } = await consoleGroups(db(), req.query.limit, req.query.offset);
      return {
        total,
        now: ctx.clock(),
        groups: groups.map((g) => ({
          ...g,
          modeName: modeName(g.mode),
          tSuiteName: suiteName(g.tSuite),
          pqSuiteName: suiteName(g.pqSuite),
        })),
      };
    },
  );

  app.get<{ Params: z.infer<typeof GroupIdParams> }>(
    "/v1/console/groups/:groupId",
    { ...route, schema: { ...hide, params: GroupIdParams } },
    async (req) => {
      const g = await loadGroup(ctx, req.params.groupId);
      const members = await ctx.storage.members(g.groupId, true);
      const current = members.filter((m) => m.removedSeq === null);
      const policy = policyOf(g);
      const now = ctx.clock();
      const snapshot = serverSnapshot(g, current);
      const decision = decide(policy, snapshot, now);
      const inactive = new Set(decision.inactive);
      return {
        groupId: g.groupId,
        pqGroupId: b64(g.pqGroupId),
        tSuite: g.tSuite,
        tSuiteName: suiteName(g.tSuite),
        pqSuite: g.pqSuite,
        pqSuiteName: suiteName(g.pqSuite),
        mode: g.mode,
        modeName: modeName(g.mode),
        tEpoch: g.tEpoch,
        pqEpoch: g.pqEpoch,
        lastSeq: g.lastSeq,
        createdAt: g.createdAt,
        lastFullAt: g.lastFullAt,
        lastCommitAt: g.lastCommitAt,
        commitsSinceFull: g.commitsSinceFull,
        messagesSinceCommit: g.messagesSinceCommit,
        now,
        policy,
        schedule: {
          decision: { ...decision, inactive: [...decision.inactive] },
          snapshot,
        },
        inactive: {
          inactivitySeconds: policy.inactivitySeconds,
          members: [...inactive].map((id) => ({
            identityB64: id,
            name: labelOfB64(id),
            lastActive: snapshot.lastActive[id] ?? null,
          })),
        },
        members: members.map((m) => {
          const id = b64(m.identity);
          return {
            identityB64: id,
            name: identityLabel(m.identity),
            joinedAt: m.joinedAt,
            lastCommitAt: m.lastCommitAt,
            lastActive: m.lastCommitAt ?? m.joinedAt,
            removedSeq: m.removedSeq,
            inactive: inactive.has(id),
          };
        }),
        totals: await messageTotals(db(), g.groupId),
      };
    },
  );

  app.get<{
    Params: z.infer<typeof GroupIdParams>;
    Querystring: z.infer<typeof TimelineQuery>;
  }>(
    "/v1/console/groups/:groupId/timeline",
    { ...route, schema: { ...hide, params: GroupIdParams, querystring: TimelineQuery } },
    async (req) => {
      const g = await loadGroup(ctx, req.params.groupId);
      const { before, limit } = req.query;
      const commits = await commitTimeline(db(), g.groupId, before ?? null, limit);
      const senders = await clientIdentities(db(), [
        ...new Set(commits.flatMap((c) => (c.sender === null ? [] : [c.sender]))),
      ]);
      const last = commits[commits.length - 1];
      return {
        groupId: g.groupId,
        commits: commits.map((c) => {
          const identity = c.sender === null ? undefined : senders.get(c.sender);
          return {
            ...c,
            update: COMMIT_LABEL[c.kind] ?? c.kind,
            senderName: identity === undefined ? null : identityLabel(identity),
          };
        }),
        // seq to pass as `before` for older commits (null: this is the oldest page).
        next: commits.length === limit && last !== undefined ? last.seq : null,
      };
    },
  );

  app.put<{ Params: z.infer<typeof GroupIdParams>; Body: z.input<typeof PolicySchema> }>(
    "/v1/console/groups/:groupId/policy",
    {
      ...route,
      schema: { ...hide, params: GroupIdParams, body: PolicySchema },
      preHandler: async (req) => requireSameOrigin(req),
    },
    async (req) => {
      const g = await loadGroup(ctx, req.params.groupId);
      const policy = parsePolicy(req.body);
      await ctx.storage.setPolicy(g.groupId, policy);
      req.log.info({ groupId: g.groupId }, "policy changed from the console");
      return policy;
    },
  );

  app.get("/v1/console/bench", { ...route, schema: { ...hide } }, async () => {
    const dir = benchDirOf(options);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => BENCH_FILE.test(n)).sort();
    } catch {
      names = [];
    }
    const charts = [];
    for (const name of names) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s?.isFile())
        charts.push({
          name,
          url: `/console/bench/${encodeURIComponent(name)}`,
          bytes: s.size,
          modifiedAt: s.mtimeMs,
        });
    }
    return { directory: "bench/results", charts };
  });
}
