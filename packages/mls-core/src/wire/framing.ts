import type { Codec } from "../codec/codec.js";
import type { Reader } from "../codec/reader.js";
import type { Writer } from "../codec/writer.js";
import { CodecError } from "../errors.js";
import { type Commit, commitCodec } from "./commit.js";
import { ContentType, ProtocolVersion, SenderType } from "./enums.js";
import { type GroupContext, groupContextCodec } from "./groupContext.js";
import { type Proposal, proposalCodec } from "./proposal.js";

/** RFC 9420 §6 Sender. */
export type Sender =
  | { readonly senderType: typeof SenderType.member; readonly leafIndex: number }
  | { readonly senderType: typeof SenderType.external; readonly senderIndex: number }
  | { readonly senderType: typeof SenderType.new_member_proposal }
  | { readonly senderType: typeof SenderType.new_member_commit };

export const senderCodec: Codec<Sender> = {
  encode(w, s) {
    w.u8(s.senderType);
    if (s.senderType === SenderType.member) w.u32(s.leafIndex);
    else if (s.senderType === SenderType.external) w.u32(s.senderIndex);
  },
  decode(r) {
    const t = r.u8();
    switch (t) {
      case SenderType.member:
        return { senderType: t, leafIndex: r.u32() };
      case SenderType.external:
        return { senderType: t, senderIndex: r.u32() };
      case SenderType.new_member_proposal:
      case SenderType.new_member_commit:
        return { senderType: t };
      default:
        throw new CodecError(`invalid sender type ${t}`);
    }
  },
};

/** The content-type-dependent body shared by FramedContent and PrivateMessageContent (§6). */
export type ContentBody =
  | { readonly contentType: typeof ContentType.application; readonly applicationData: Uint8Array }
  | { readonly contentType: typeof ContentType.proposal; readonly proposal: Proposal }
  | { readonly contentType: typeof ContentType.commit; readonly commit: Commit };

export function encodeContentBody(w: Writer, b: ContentBody): void {
  switch (b.contentType) {
    case ContentType.application:
      w.opaque(b.applicationData);
      break;
    case ContentType.proposal:
      proposalCodec.encode(w, b.proposal);
      break;
    case ContentType.commit:
      commitCodec.encode(w, b.commit);
      break;
  }
}

export function decodeContentBody(r: Reader, contentType: number): ContentBody {
  switch (contentType) {
    case ContentType.application:
      return { contentType, applicationData: r.opaque() };
    case ContentType.proposal:
      return { contentType, proposal: proposalCodec.decode(r) };
    case ContentType.commit:
      return { contentType, commit: commitCodec.decode(r) };
    default:
      throw new CodecError(`invalid content type ${contentType}`);
  }
}

/** RFC 9420 §6 FramedContent. */
export type FramedContent = {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly sender: Sender;
  readonly authenticatedData: Uint8Array;
} & ContentBody;

export const framedContentCodec: Codec<FramedContent> = {
  encode(w, c) {
    w.opaque(c.groupId);
    w.u64(c.epoch);
    senderCodec.encode(w, c.sender);
    w.opaque(c.authenticatedData);
    w.u8(c.contentType);
    encodeContentBody(w, c);
  },
  decode(r) {
    const groupId = r.opaque();
    const epoch = r.u64();
    const sender = senderCodec.decode(r);
    const authenticatedData = r.opaque();
    const body = decodeContentBody(r, r.u8());
    return { groupId, epoch, sender, authenticatedData, ...body };
  },
};

/** RFC 9420 §6.1 FramedContentAuthData; `confirmationTag` is present exactly for commits. */
export interface FramedContentAuthData {
  readonly signature: Uint8Array;
  readonly confirmationTag?: Uint8Array;
}

export function encodeAuthData(w: Writer, a: FramedContentAuthData, contentType: number): void {
  w.opaque(a.signature);
  if (contentType === ContentType.commit) {
    if (a.confirmationTag === undefined)
      throw new CodecError("a commit's FramedContentAuthData needs a confirmation_tag");
    w.opaque(a.confirmationTag);
  }
}

export function decodeAuthData(r: Reader, contentType: number): FramedContentAuthData {
  const signature = r.opaque();
  if (contentType === ContentType.commit) return { signature, confirmationTag: r.opaque() };
  return { signature };
}

/** RFC 9420 §6.1 FramedContentTBS: what a message signature covers. */
export interface FramedContentTBS {
  readonly wireFormat: number;
  readonly content: FramedContent;
  /** Present exactly when the sender is `member` or `new_member_commit`. */
  readonly context?: GroupContext;
}

export const framedContentTBSCodec: Codec<FramedContentTBS> = {
  encode(w, t) {
    w.u16(ProtocolVersion.mls10);
    w.u16(t.wireFormat);
    framedContentCodec.encode(w, t.content);
    const st = t.content.sender.senderType;
    if (st === SenderType.member || st === SenderType.new_member_commit) {
      if (t.context === undefined)
        throw new CodecError("FramedContentTBS for a member sender needs the GroupContext");
      groupContextCodec.encode(w, t.context);
    }
  },
  decode() {
    throw new CodecError("FramedContentTBS is only ever encoded");
  },
};

/** RFC 9420 §6.1 AuthenticatedContent. */
export interface AuthenticatedContent {
  readonly wireFormat: number;
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
}

export const authenticatedContentCodec: Codec<AuthenticatedContent> = {
  encode(w, a) {
    w.u16(a.wireFormat);
    framedContentCodec.encode(w, a.content);
    encodeAuthData(w, a.auth, a.content.contentType);
  },
  decode(r) {
    const wireFormat = r.u16();
    const content = framedContentCodec.decode(r);
    return { wireFormat, content, auth: decodeAuthData(r, content.contentType) };
  },
};

/** RFC 9420 §6.2 PublicMessage; `membershipTag` is present exactly for member senders. */
export interface PublicMessage {
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
  readonly membershipTag?: Uint8Array;
}

export const publicMessageCodec: Codec<PublicMessage> = {
  encode(w, m) {
    framedContentCodec.encode(w, m.content);
    encodeAuthData(w, m.auth, m.content.contentType);
    if (m.content.sender.senderType === SenderType.member) {
      if (m.membershipTag === undefined)
        throw new CodecError("a PublicMessage from a member needs a membership_tag");
      w.opaque(m.membershipTag);
    }
  },
  decode(r) {
    const content = framedContentCodec.decode(r);
    const auth = decodeAuthData(r, content.contentType);
    if (content.sender.senderType === SenderType.member)
      return { content, auth, membershipTag: r.opaque() };
    return { content, auth };
  },
};

/** RFC 9420 §6.3 PrivateMessage. */
export interface PrivateMessage {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: ContentType;
  readonly authenticatedData: Uint8Array;
  readonly encryptedSenderData: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export const privateMessageCodec: Codec<PrivateMessage> = {
  encode(w, m) {
    w.opaque(m.groupId);
    w.u64(m.epoch);
    w.u8(m.contentType);
    w.opaque(m.authenticatedData);
    w.opaque(m.encryptedSenderData);
    w.opaque(m.ciphertext);
  },
  decode(r) {
    const groupId = r.opaque();
    const epoch = r.u64();
    const contentType = r.u8();
    if (
      contentType !== ContentType.application &&
      contentType !== ContentType.proposal &&
      contentType !== ContentType.commit
    )
      throw new CodecError(`invalid content type ${contentType}`);
    return {
      groupId,
      epoch,
      contentType,
      authenticatedData: r.opaque(),
      encryptedSenderData: r.opaque(),
      ciphertext: r.opaque(),
    };
  },
};

/** RFC 9420 §6.3.2 SenderData. */
export interface SenderData {
  readonly leafIndex: number;
  readonly generation: number;
  readonly reuseGuard: Uint8Array;
}

export const senderDataCodec: Codec<SenderData> = {
  encode(w, s) {
    w.u32(s.leafIndex);
    w.u32(s.generation);
    if (s.reuseGuard.length !== 4) throw new CodecError("reuse_guard must be 4 bytes");
    w.raw(s.reuseGuard);
  },
  decode(r) {
    return { leafIndex: r.u32(), generation: r.u32(), reuseGuard: r.raw(4) };
  },
};

/** RFC 9420 §6.3.1 PrivateContentAAD. */
export interface PrivateContentAAD {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: number;
  readonly authenticatedData: Uint8Array;
}

export const privateContentAADCodec: Codec<PrivateContentAAD> = {
  encode(w, a) {
    w.opaque(a.groupId);
    w.u64(a.epoch);
    w.u8(a.contentType);
    w.opaque(a.authenticatedData);
  },
  decode(r) {
    return {
      groupId: r.opaque(),
      epoch: r.u64(),
      contentType: r.u8(),
      authenticatedData: r.opaque(),
    };
  },
};

/** RFC 9420 §6.3.2 SenderDataAAD. */
export interface SenderDataAAD {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: number;
}

export const senderDataAADCodec: Codec<SenderDataAAD> = {
  encode(w, a) {
    w.opaque(a.groupId);
    w.u64(a.epoch);
    w.u8(a.contentType);
  },
  decode(r) {
    return { groupId: r.opaque(), epoch: r.u64(), contentType: r.u8() };
  },
};

/**
 * RFC 9420 §6.3.1 PrivateMessageContent: the body, the auth data, then zero padding. Decoding
 * checks that every padding byte is zero (a non-zero byte makes the message malformed).
 */
export type PrivateMessageContent = ContentBody & {
  readonly auth: FramedContentAuthData;
  readonly paddingLength: number;
};

export function encodePrivateMessageContent(w: Writer, c: PrivateMessageContent): void {
  encodeContentBody(w, c);
  encodeAuthData(w, c.auth, c.contentType);
  if (c.paddingLength > 0) w.raw(new Uint8Array(c.paddingLength));
}

export function decodePrivateMessageContent(r: Reader, contentType: number): PrivateMessageContent {
  const body = decodeContentBody(r, contentType);
  const auth = decodeAuthData(r, contentType);
  const padding = r.raw(r.remaining);
  for (let i = 0; i < padding.length; i++)
    if (padding[i] !== 0)
      throw new CodecError("non-zero byte in PrivateMessageContent padding (RFC 9420 §6.3.1)");
  return { ...body, auth, paddingLength: padding.length };
}
