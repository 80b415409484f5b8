import { CodecError } from "@hpqmls/mls-core";
import { z } from "zod";

/**
 * The activity record a session blob carries for the policy engine (commit and message counters,
 * timestamps, per-member last activity), stored as JSON. It comes back from storage the caller
 * controls, so it is parsed and checked like any other untrusted input.
 */
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const timestamp = z.number().finite();

const activityRecordSchema = z.strictObject({
  commitsSinceFull: count,
  messagesSinceUpdate: count,
  lastFullAt: timestamp,
  lastUpdateAt: timestamp,
  lastActive: z.record(z.string(), timestamp),
});

export type ActivityRecord = z.infer<typeof activityRecordSchema>;

export function encodeActivityRecord(a: ActivityRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(a));
}

export function decodeActivityRecord(bytes: Uint8Array): ActivityRecord {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new CodecError("APQ session blob: the activity record is not valid JSON");
  }
  const parsed = activityRecordSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") || "(root)";
    throw new CodecError(`APQ session blob: the activity record is malformed at ${where}`);
  }
  // A prototype-free copy: member identities are keys, and "__proto__" must stay a plain key.
  const lastActive: Record<string, number> = Object.create(null);
  for (const [k, v] of Object.entries(parsed.data.lastActive)) lastActive[k] = v;
  return { ...parsed.data, lastActive };
}
