import type { Policy } from "./schema.js";

/**
 * The policy engine (hpqmls decisions): a pure, deterministic function of the policy, a snapshot
 * of the session, the clock and the pending proposals. The same function runs in clients (to
 * act) and in the server (to schedule and report).
 */

export interface SessionSnapshot {
  /** False until the first FULL commit. */
  readonly established: boolean;
  /** A member that joined and has not yet made its first FULL commit (this client). */
  readonly mustCommitFull: boolean;
  readonly commitsSinceFull: number;
  readonly messagesSinceUpdate: number;
  /** ms since the Unix epoch. */
  readonly lastFullAt: number;
  readonly lastUpdateAt: number;
  /** Per member identity: when it last committed or had its leaf updated (ms). */
  readonly lastActive: Readonly<Record<string, number>>;
}

export interface PendingWork {
  readonly adds?: number;
  readonly removes?: number;
  /** Identities whose pending Update asks for a FULL commit. */
  readonly fullRequests?: readonly string[];
}

export type UpdateKind = "none" | "PARTIAL" | "FULL";

export type PolicyRule =
  | "establish"
  | "membership-change"
  | "joiner-first-full"
  | "full-requested"
  | "full-every-commits"
  | "full-every-seconds"
  | "partial-every-messages"
  | "partial-every-seconds"
  | "none";

export interface Decision {
  readonly update: UpdateKind;
  readonly rule: PolicyRule;
  /** A sentence a person can read. */
  readonly reason: string;
  /** Members to remove for inactivity (longer than `inactivitySeconds`). */
  readonly inactive: readonly string[];
}

export function decide(
  policy: Policy,
  s: SessionSnapshot,
  now: number,
  pending: PendingWork = {},
): Decision {
  const inactive = Object.entries(s.lastActive)
    .filter(([, t]) => now - t > policy.inactivitySeconds * 1000)
    .map(([who]) => who)
    .sort();
  const d = (update: UpdateKind, rule: PolicyRule, reason: string): Decision => ({
    update,
    rule,
    reason,
    inactive,
  });
  if (!s.established)
    return d("FULL", "establish", "the session is established by its first FULL commit");
  if ((pending.adds ?? 0) > 0 || (pending.removes ?? 0) > 0)
    return d("FULL", "membership-change", "adding or removing members is always a FULL commit");
  if (s.mustCommitFull)
    return d("FULL", "joiner-first-full", "a new member's first commit is FULL");
  if ((pending.fullRequests ?? []).length > 0)
    return d(
      "FULL",
      "full-requested",
      `a FULL commit was requested by ${pending.fullRequests!.join(", ")}`,
    );
  const { full, partial } = policy;
  if (full.everyCommits !== null && s.commitsSinceFull >= full.everyCommits - 1)
    return d(
      "FULL",
      "full-every-commits",
      `${s.commitsSinceFull} PARTIAL commits since the last FULL one (policy: a FULL commit every ${full.everyCommits})`,
    );
  if (full.everySeconds !== null && now - s.lastFullAt >= full.everySeconds * 1000)
    return d(
      "FULL",
      "full-every-seconds",
      `${Math.floor((now - s.lastFullAt) / 1000)} s since the last FULL commit (policy: ${full.everySeconds} s)`,
    );
  if (partial.everyMessages !== null && s.messagesSinceUpdate >= partial.everyMessages)
    return d(
      "PARTIAL",
      "partial-every-messages",
      `${s.messagesSinceUpdate} messages since the last commit (policy: ${partial.everyMessages})`,
    );
  if (partial.everySeconds !== null && now - s.lastUpdateAt >= partial.everySeconds * 1000)
    return d(
      "PARTIAL",
      "partial-every-seconds",
      `${Math.floor((now - s.lastUpdateAt) / 1000)} s since the last commit (policy: ${partial.everySeconds} s)`,
    );
  return d("none", "none", "no update is due");
}
