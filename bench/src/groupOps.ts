/**
 * The per-group operations every benchmark times, for hpqmls and for ts-mls, each measured from
 * and to wire bytes (create = encode included, process = decode included):
 *
 *   keyPackage     a fresh KeyPackage (init and leaf keys, signature) with an existing
 *                  signature key pair                            bytes = the MLSMessage
 *   commitCreate   an empty commit with an UpdatePath (PrivateMessage), not merged
 *                                                                  bytes = the MLSMessage
 *   commitProcess  the receiver processes that commit (hpqmls: process, stage the next
 *                  epoch; ts-mls: processPrivateMessage, the next state)
 *   join           joining from the Welcome that added the receiver (ratchet tree inside)
 *                                                                  bytes = the Welcome
 *   appEncrypt     a 100-byte application message                  bytes = the MLSMessage
 *   appDecrypt     the receiver decrypts them, in order
 *   stateSave      the receiver's whole state as bytes             bytes = the blob
 *   stateRestore   and back
 */
import {
  type CipherSuite,
  encodeBytes,
  generateKeyPackage,
  type MLSMessage,
  MlsGroup,
  mlsMessageCodec,
} from "@hpqmls/mls-core";
import * as ts from "ts-mls";
import type { HpqSide, TsSide } from "./fixtures/mls.js";
import { keyPackageBytes, signer } from "./fixtures/mls.js";
import {
  type TsImpl,
  tsCommit,
  tsEncrypt,
  tsJoin,
  tsKeyPackage,
  tsKeyPackageBytes,
  tsProcess,
  tsRestore,
  tsSave,
} from "./fixtures/tsmls.js";
import type { Progress } from "./progress.js";
import { type Measurement, type MeasureOptions, measure } from "./stats.js";

export type GroupOp =
  | "commitCreate"
  | "commitProcess"
  | "join"
  | "appEncrypt"
  | "appDecrypt"
  | "stateSave"
  | "stateRestore";

export const GROUP_OPS: readonly GroupOp[] = [
  "commitCreate",
  "commitProcess",
  "join",
  "appEncrypt",
  "appDecrypt",
  "stateSave",
  "stateRestore",
];

export interface OpResult {
  readonly op: string;
  readonly m: Measurement;
  readonly bytes: number | null;
}

export interface OpContext {
  readonly budgetMs: number;
  readonly progress?: Progress;
}

/** The application payload: a short chat message. */
export const APP_PAYLOAD = new Uint8Array(100).fill(0x61);
/** Messages made for the decryption run, at most. */
const MAX_APP_MESSAGES = 20_000;

const mo = (ctx: OpContext, extra: Partial<MeasureOptions> = {}): MeasureOptions => ({
  budgetMs: ctx.budgetMs,
  ...extra,
});

const wire = (m: MLSMessage) => encodeBytes(mlsMessageCodec, m);

export async function hpqKeyPackageOp(suite: CipherSuite, ctx: OpContext): Promise<OpResult> {
  const s = await signer(suite, "kp");
  const m = await measure(() => generateKeyPackage({ suite, ...s }), mo(ctx));
  return { op: "keyPackage", m, bytes: keyPackageBytes(m.last).length };
}

export async function tsKeyPackageOp(impl: TsImpl, ctx: OpContext): Promise<OpResult> {
  const sig = await impl.signature.keygen();
  const m = await measure(() => tsKeyPackage(impl, "kp", sig), mo(ctx));
  return { op: "keyPackage", m, bytes: tsKeyPackageBytes(m.last.publicPackage).length };
}

export async function hpqGroupOps(
  side: HpqSide,
  ops: readonly GroupOp[],
  ctx: OpContext,
): Promise<OpResult[]> {
  const out: OpResult[] = [];
  const { committer, receiver, suite } = side;
  let commitBytes: Uint8Array | undefined;
  const queue: Uint8Array[] = [];
  let blob: Uint8Array | undefined;
  for (const op of ops) {
    ctx.progress?.step(`hpqmls ${op}`);
    switch (op) {
      case "commitCreate": {
        const m = await measure(async () => wire((await committer.commit({})).commit), mo(ctx));
        commitBytes = m.last;
        out.push({ op, m, bytes: m.last.length });
        break;
      }
      case "commitProcess": {
        const bytes = commitBytes ?? wire((await committer.commit({})).commit);
        const m = await measure(async () => {
          const r = await receiver.process(bytes);
          if (r.kind !== "commit") throw new Error("expected a commit");
        }, mo(ctx));
        out.push({ op, m, bytes: bytes.length });
        break;
      }
      case "join": {
        const m = await measure(
          () => MlsGroup.join({ suite, welcome: side.welcome, keyPackage: side.receiverKey }),
          mo(ctx),
        );
        out.push({ op, m, bytes: wire(side.welcome).length });
        break;
      }
      case "appEncrypt": {
        const m = await measure(async () => {
          const b = wire(await committer.encrypt(APP_PAYLOAD));
          if (queue.length < MAX_APP_MESSAGES) queue.push(b);
          return b;
        }, mo(ctx));
        out.push({ op, m, bytes: m.last.length });
        break;
      }
      case "appDecrypt": {
        // Every message the sender made must be read in order; top up if there are few.
        while (queue.length < 50) queue.push(wire(await committer.encrypt(APP_PAYLOAD)));
        let i = 0;
        const m = await measure(
          async () => {
            const r = await receiver.process(queue[i++]!);
            if (r.kind !== "application") throw new Error("expected application data");
          },
          mo(ctx, { maxReps: queue.length }),
        );
        out.push({ op, m, bytes: queue[0]!.length });
        queue.length = 0;
        break;
      }
      case "stateSave": {
        const m = await measure(() => receiver.serialize(), mo(ctx));
        blob = m.last;
        out.push({ op, m, bytes: m.last.length });
        break;
      }
      case "stateRestore": {
        const b = blob ?? receiver.serialize();
        const m = await measure(() => MlsGroup.deserialize(b), mo(ctx));
        out.push({ op, m, bytes: b.length });
        break;
      }
    }
    ctx.progress?.tick();
  }
  return out;
}

export async function tsGroupOps(
  side: TsSide,
  ops: readonly GroupOp[],
  ctx: OpContext,
): Promise<OpResult[]> {
  const out: OpResult[] = [];
  const { impl } = side;
  let commitBytes: Uint8Array | undefined;
  const queue: Uint8Array[] = [];
  let blob: Uint8Array | undefined;
  for (const op of ops) {
    ctx.progress?.step(`ts-mls ${op}`);
    switch (op) {
      case "commitCreate": {
        const m = await measure(async () => (await tsCommit(impl, side.committer)).bytes, mo(ctx));
        commitBytes = m.last;
        out.push({ op, m, bytes: m.last.length });
        break;
      }
      case "commitProcess": {
        const bytes = commitBytes ?? (await tsCommit(impl, side.committer)).bytes;
        const m = await measure(async () => {
          const r = await tsProcess(impl, side.receiver, bytes);
          if (r.kind !== "newState") throw new Error("expected a commit");
        }, mo(ctx));
        out.push({ op, m, bytes: bytes.length });
        break;
      }
      case "join": {
        const m = await measure(
          () => tsJoin(impl, side.welcome, side.receiverKey, side.ratchetTree),
          mo(ctx, { preSamples: [side.joinMs] }),
        );
        const welcomeBytes = ts.encodeMlsMessage({
          welcome: side.welcome,
          wireformat: "mls_welcome",
          version: "mls10",
        });
        out.push({ op, m, bytes: welcomeBytes.length });
        break;
      }
      case "appEncrypt": {
        const m = await measure(async () => {
          const r = await tsEncrypt(impl, side.committer, APP_PAYLOAD);
          side.committer = r.newState;
          if (queue.length < MAX_APP_MESSAGES) queue.push(r.bytes);
          return r.bytes;
        }, mo(ctx));
        out.push({ op, m, bytes: m.last.length });
        break;
      }
      case "appDecrypt": {
        while (queue.length < 50) {
          const r = await tsEncrypt(impl, side.committer, APP_PAYLOAD);
          side.committer = r.newState;
          queue.push(r.bytes);
        }
        let i = 0;
        const m = await measure(
          async () => {
            const r = await tsProcess(impl, side.receiver, queue[i++]!);
            if (r.kind !== "applicationMessage") throw new Error("expected application data");
            side.receiver = r.newState;
          },
          mo(ctx, { maxReps: queue.length }),
        );
        out.push({ op, m, bytes: queue[0]!.length });
        queue.length = 0;
        break;
      }
      case "stateSave": {
        const m = await measure(() => tsSave(side.receiver), mo(ctx));
        blob = m.last;
        out.push({ op, m, bytes: m.last.length });
        break;
      }
      case "stateRestore": {
        const b = blob ?? tsSave(side.receiver);
        const m = await measure(() => tsRestore(b, side.receiver), mo(ctx));
        out.push({ op, m, bytes: b.length });
        break;
      }
    }
    ctx.progress?.tick();
  }
  return out;
}
