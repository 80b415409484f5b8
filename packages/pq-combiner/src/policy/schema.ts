import { z } from "zod";

/**
 * The update policy of an APQ-MLS group (hpqmls decisions, "Policy engine"): when a FULL and
 * when a PARTIAL commit is due, and when a member counts as inactive. JSON-serialisable; the
 * same schema validates it in clients and in the server's policy API.
 */

const positiveInt = z.number().int().positive();

export const PolicySchema = z
  .object({
    full: z
      .object({
        /** A FULL commit at least every N commits (N = 1: every commit is FULL). null: no rule. */
        everyCommits: positiveInt.nullable().default(20),
        /** A FULL commit at least every T seconds. null: no rule. */
        everySeconds: positiveInt.nullable().default(24 * 3600),
      })
      .strict()
      .default({ everyCommits: 20, everySeconds: 24 * 3600 }),
    partial: z
      .object({
        /** A commit (PARTIAL at least) after M application messages. null: no rule. */
        everyMessages: positiveInt.nullable().default(50),
        /** A commit (PARTIAL at least) every T seconds. null: no rule. */
        everySeconds: positiveInt.nullable().default(3600),
      })
      .strict()
      .default({ everyMessages: 50, everySeconds: 3600 }),
    /** A member who has neither committed nor had its leaf updated for this long is inactive. */
    inactivitySeconds: positiveInt.default(14 * 24 * 3600),
  })
  .strict()
  .superRefine((p, ctx) => {
    // draft-ietf-mls-combiner: the FULL cadence must be shorter than the inactivity window.
    if (p.full.everySeconds === null)
      ctx.addIssue({
        code: "custom",
        path: ["full", "everySeconds"],
        message:
          "a FULL commit interval is required, shorter than inactivitySeconds (the PQ post-compromise window must close before members are deemed inactive)",
      });
    else if (p.full.everySeconds >= p.inactivitySeconds)
      ctx.addIssue({
        code: "custom",
        path: ["full", "everySeconds"],
        message: `full.everySeconds (${p.full.everySeconds}) must be shorter than inactivitySeconds (${p.inactivitySeconds}); lower it or raise the inactivity window`,
      });
    if (
      p.partial.everySeconds !== null &&
      p.full.everySeconds !== null &&
      p.partial.everySeconds > p.full.everySeconds
    )
      ctx.addIssue({
        code: "custom",
        path: ["partial", "everySeconds"],
        message: `partial.everySeconds (${p.partial.everySeconds}) is longer than full.everySeconds (${p.full.everySeconds}) and would never fire`,
      });
  });

/** A validated policy. */
export type Policy = z.output<typeof PolicySchema>;
/** What a user writes (everything optional, defaults filled in). */
export type PolicyInput = z.input<typeof PolicySchema>;

export const DEFAULT_POLICY: Policy = PolicySchema.parse({});

/** The typed error for a policy that fails validation; its message says what to change. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(
      `invalid update policy: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
    );
  }
}

/** Validates a policy; throws PolicyError with every problem. */
export function parsePolicy(input: unknown): Policy {
  const r = PolicySchema.safeParse(input ?? {});
  if (r.success) return r.data;
  throw new PolicyError(
    r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  );
}
