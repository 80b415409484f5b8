import { PolicySchema } from "@hpqmls/pq-combiner";
import { z } from "zod";

/**
 * The request and response shapes of the API as zod schemas: they validate requests (a failure
 * is a 400 that says what to change) and generate the OpenAPI document.
 */

const B64URL = /^[A-Za-z0-9_-]*$/;

export const b64Field = (description: string) =>
  z
    .string()
    .min(1, "must not be empty")
    .regex(B64URL, "must be base64url without padding")
    .refine((s) => s.length % 4 !== 1, "is not valid base64url (wrong length)")
    .describe(description);

export const ErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().describe("machine-readable code, e.g. epoch_conflict"),
        message: z.string().describe("what went wrong and what to do"),
      })
      .catchall(z.unknown()),
  })
  .describe("Error");

export const GroupIdParams = z.object({
  groupId: z
    .string()
    .min(1)
    .max(512)
    .regex(B64URL, "must be a base64url group id")
    .describe("base64url T group id"),
});

// ---- clients

export const RegisterBody = z.object({
  identityB64: b64Field("credential identity (basic credential bytes)"),
  signatureKeyB64: b64Field("32-byte Ed25519 public key"),
  proofB64: b64Field(
    "Ed25519 signature over HPQMLS-REGISTER-V1\\n<identity hex>\\n<signature key hex>",
  ),
});
export const ClientIdResponse = z.object({ clientId: z.string() });
export const MeResponse = z.object({ clientId: z.string(), identityB64: z.string() });

// ---- key packages

export const PublishKeyPackagesBody = z.object({
  keyPackagePairsB64: z
    .array(b64Field("APQMessagePair{mls_key_package}"))
    .min(1, "send at least one KeyPackage pair")
    .max(100, "send at most 100 KeyPackage pairs per request"),
});
export const StoredResponse = z.object({ stored: z.number().int() });
export const ClaimBody = z.object({ identityB64: b64Field("identity whose pair to claim") });
export const ClaimResponse = z.object({
  keyPackagePairB64: z.string(),
  lastResort: z.boolean().describe("true: the last-resort pair (not consumed)"),
});
export const CountResponse = z.object({ remaining: z.number().int(), lastResort: z.boolean() });

// ---- groups

export const CreateGroupBody = z.object({
  groupInfoPairB64: b64Field("APQMessagePair{mls_group_info} of the creator's epoch 0"),
  policy: PolicySchema.optional().describe("update policy (defaults filled in)"),
});
export const CreatedGroupResponse = z.object({
  groupId: z.string(),
  tEpoch: z.number().int(),
  pqEpoch: z.number().int(),
  policy: z.unknown(),
});
export const GroupSummary = z.object({
  groupId: z.string(),
  tEpoch: z.number().int(),
  pqEpoch: z.number().int(),
  members: z.array(z.string()).describe("identities (base64url)"),
});
export const GroupListResponse = z.array(GroupSummary);
export const GroupResponse = z.object({
  groupId: z.string(),
  pqGroupId: z.string(),
  tSuite: z.number().int(),
  pqSuite: z.number().int(),
  mode: z.number().int(),
  tEpoch: z.number().int(),
  pqEpoch: z.number().int(),
  lastSeq: z.number().int(),
  members: z.array(z.string()),
  lastFullAt: z.number().nullable().describe("ms since the Unix epoch"),
  commitsSinceFull: z.number().int(),
});

// ---- messages

export const PostMessageBody = z.object({
  messageB64: b64Field("APQMessagePair or plain T MLSMessage, as ApqSession produced it"),
  welcomeB64: b64Field("Welcome pair of a FULL commit that adds members").optional(),
  groupInfoPairB64: b64Field("GroupInfo pair of the new epoch, for external joins").optional(),
});
export const MessageKindSchema = z.enum([
  "full-commit",
  "partial-commit",
  "proposal",
  "application",
  "external-join",
]);
export const AcceptedResponse = z.object({
  seq: z.number().int(),
  kind: MessageKindSchema,
  tEpoch: z.number().int().describe("the T epoch the message was sent in"),
  pqEpoch: z.number().int().describe("the PQ epoch the message was sent in"),
});
export const MessageView = z.object({
  seq: z.number().int(),
  kind: MessageKindSchema,
  tEpoch: z.number().int(),
  pqEpoch: z.number().int(),
  sender: z.string().nullable().describe("clientId of the poster"),
  messageB64: z.string(),
});
export const MessagesQuery = z.object({
  after: z.coerce.number().int().min(0).default(0).describe("return messages after this seq"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const MessagesResponse = z.object({
  messages: z.array(MessageView),
  next: z.number().int().describe("the seq to pass as `after` for the next page"),
});
export const StreamQuery = z.object({
  after: z.coerce.number().int().min(0).default(0).describe("stream messages after this seq"),
});

// ---- welcomes, GroupInfo

export const WelcomesResponse = z.array(
  z.object({ groupId: z.string(), welcomeB64: z.string(), seq: z.number().int() }),
);
export const WelcomeParams = z.object({ seq: z.coerce.number().int().min(0) });
export const WelcomeQuery = z.object({
  groupId: GroupIdParams.shape.groupId.optional().describe("only the Welcome of this group"),
});
export const DeletedResponse = z.object({ deleted: z.number().int() });
export const GroupInfoBody = z.object({
  groupInfoPairB64: b64Field("APQMessagePair{mls_group_info}"),
});
export const GroupInfoResponse = z.object({
  groupInfoPairB64: z.string(),
  tEpoch: z.number().int(),
  pqEpoch: z.number().int(),
});
export const PutGroupInfoResponse = z.object({
  stored: z.boolean().describe("false: a newer GroupInfo pair is already stored"),
  tEpoch: z.number().int(),
  pqEpoch: z.number().int(),
});

// ---- policy

export const DecisionSchema = z.object({
  update: z.enum(["none", "PARTIAL", "FULL"]),
  rule: z.string(),
  reason: z.string(),
  inactive: z.array(z.string()),
});
export const ScheduleResponse = z.object({
  decision: DecisionSchema,
  snapshot: z.object({
    established: z.boolean(),
    mustCommitFull: z.boolean(),
    commitsSinceFull: z.number().int(),
    messagesSinceUpdate: z.number().int(),
    lastFullAt: z.number(),
    lastUpdateAt: z.number(),
    lastActive: z.record(z.string(), z.number()),
  }),
});
export const InactiveResponse = z.object({
  inactive: z.array(z.string()).describe("identities (base64url)"),
  inactivitySeconds: z.number().int(),
  lastActive: z.record(z.string(), z.number()),
});
