import {
  type Codec,
  CodecError,
  type ComponentHandler,
  componentData,
  decodeBytes,
  type Extension,
  encodeBytes,
  ValidationError,
} from "@hpqmls/mls-core";
import { apqCodePoints } from "./codepoints.js";

/**
 * APQInfo and APQInfoUpdate (draft-ietf-mls-combiner, "Group Context Extension"): the record of
 * both sessions kept in the `app_data_dictionary` of both GroupContexts under component 0x0006.
 */

export const ApqMode = {
  /** PQ/T confidentiality only. */
  confidentiality: 0,
  /** PQ/T confidentiality and authenticity (the PQ session signs with ML-DSA). */
  confidentialityAndAuthenticity: 1,
} as const;
export type ApqMode = (typeof ApqMode)[keyof typeof ApqMode];

export interface ApqInfo {
  readonly tGroupId: Uint8Array;
  readonly pqGroupId: Uint8Array;
  readonly mode: ApqMode;
  readonly tCipherSuite: number;
  readonly pqCipherSuite: number;
  readonly tEpoch: bigint;
  readonly pqEpoch: bigint;
}

export const apqInfoCodec: Codec<ApqInfo> = {
  encode(w, i) {
    w.opaque(i.tGroupId);
    w.opaque(i.pqGroupId);
    w.bool(i.mode === ApqMode.confidentialityAndAuthenticity);
    w.u16(i.tCipherSuite);
    w.u16(i.pqCipherSuite);
    w.u64(i.tEpoch);
    w.u64(i.pqEpoch);
  },
  decode(r) {
    return {
      tGroupId: r.opaque(),
      pqGroupId: r.opaque(),
      mode: r.bool() ? ApqMode.confidentialityAndAuthenticity : ApqMode.confidentiality,
      tCipherSuite: r.u16(),
      pqCipherSuite: r.u16(),
      tEpoch: r.u64(),
      pqEpoch: r.u64(),
    };
  },
};

export const ApqUpdateType = { full_update: 0, new_t_epoch: 1, new_pq_epoch: 2 } as const;

export type ApqInfoUpdate =
  | { readonly updateType: typeof ApqUpdateType.full_update; readonly info: ApqInfo }
  | { readonly updateType: typeof ApqUpdateType.new_t_epoch; readonly epoch: bigint }
  | { readonly updateType: typeof ApqUpdateType.new_pq_epoch; readonly epoch: bigint };

export const apqInfoUpdateCodec: Codec<ApqInfoUpdate> = {
  encode(w, u) {
    w.u8(u.updateType);
    if (u.updateType === ApqUpdateType.full_update) apqInfoCodec.encode(w, u.info);
    else w.u64(u.epoch);
  },
  decode(r) {
    const t = r.u8();
    switch (t) {
      case ApqUpdateType.full_update:
        return { updateType: t, info: apqInfoCodec.decode(r) };
      case ApqUpdateType.new_t_epoch:
      case ApqUpdateType.new_pq_epoch:
        return { updateType: t, epoch: r.u64() };
      default:
        throw new CodecError(`invalid APQUpdateType ${t}`);
    }
  },
};

/** The APQInfo in a GroupContext's extensions, if any. */
export function apqInfoFromExtensions(extensions: readonly Extension[]): ApqInfo | undefined {
  const d = componentData(extensions, apqCodePoints().componentId);
  return d === undefined ? undefined : decodeBytes(apqInfoCodec, d);
}

export function sameApqInfo(a: ApqInfo, b: ApqInfo): boolean {
  return equal(encodeBytes(apqInfoCodec, a), encodeBytes(apqInfoCodec, b));
}

/** Equal in everything but the two epochs (which may change, draft "Updating APQInfo"). */
export function sameApqSession(a: ApqInfo, b: ApqInfo): boolean {
  return sameApqInfo({ ...a, tEpoch: 0n, pqEpoch: 0n }, { ...b, tEpoch: 0n, pqEpoch: 0n });
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const RULE = "draft-ietf-mls-combiner §Updating APQInfo";

/**
 * Applies the AppDataUpdates of one commit to the APQInfo (the `apq_mls_info` component's
 * handler): either exactly one `full_update`, or one `new_t_epoch` and one `new_pq_epoch` on an
 * epoch that already has APQInfo. Only the epochs may change once APQInfo exists.
 */
export function applyApqInfoUpdates(
  current: ApqInfo | undefined,
  updates: readonly ApqInfoUpdate[],
): ApqInfo {
  if (updates.length === 1 && updates[0]!.updateType === ApqUpdateType.full_update) {
    const next = updates[0]!.info;
    if (current !== undefined && !sameApqSession(current, next))
      throw new ValidationError(RULE, "an APQInfo update may change only the two epochs");
    return next;
  }
  if (updates.length !== 2)
    throw new ValidationError(RULE, "a commit carries one full_update or one epoch pair");
  let tEpoch: bigint | undefined;
  let pqEpoch: bigint | undefined;
  for (const u of updates) {
    if (u.updateType === ApqUpdateType.new_t_epoch && tEpoch === undefined) tEpoch = u.epoch;
    else if (u.updateType === ApqUpdateType.new_pq_epoch && pqEpoch === undefined)
      pqEpoch = u.epoch;
  }
  if (tEpoch === undefined || pqEpoch === undefined)
    throw new ValidationError(
      RULE,
      "an epoch update needs exactly one new_t_epoch and one new_pq_epoch",
    );
  if (current === undefined)
    throw new ValidationError(
      RULE,
      "epoch updates need an existing APQInfo (use full_update first)",
    );
  return { ...current, tEpoch, pqEpoch };
}

/** The `apq_mls_info` ComponentHandler each of the two groups registers. */
export const apqComponentHandler: ComponentHandler = {
  applyUpdate(current, updates) {
    try {
      const next = applyApqInfoUpdates(
        current === undefined ? undefined : decodeBytes(apqInfoCodec, current),
        updates.map((u) => decodeBytes(apqInfoUpdateCodec, u)),
      );
      return encodeBytes(apqInfoCodec, next);
    } catch (e) {
      if (e instanceof ValidationError || e instanceof CodecError) return undefined;
      throw e;
    }
  },
  // The session record cannot be deleted while the session runs.
  allowRemove: () => false,
  ephemeral: () => false,
};
