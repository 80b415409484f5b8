import {
  type AuthenticatedContent,
  type CipherSuite,
  type Commit,
  ContentType,
  commitCodec,
  decodeBytes,
  encodeBytes,
  type FramedContent,
  groupContextCodec,
  type MLSMessage,
  mlsMessageCodec,
  type Proposal,
  ProtocolVersion,
  proposalCodec,
  protectPrivateMessage,
  protectPublicMessage,
  SecretTree,
  SenderType,
  signFramedContent,
  unprotectPrivateMessage,
  unprotectPublicMessage,
  verifyContentSignature,
  WireFormat,
} from "@hpqmls/mls-core";
import { expectEqualBytes, expectTrue, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";
import { signaturePrivateKey } from "./keys.js";

interface Ctx {
  suite: CipherSuite;
  groupId: Uint8Array;
  epoch: bigint;
  groupContext: Uint8Array;
  sigPriv: Uint8Array;
  sigPub: Uint8Array;
  encryptionSecret: Uint8Array;
  senderDataSecret: Uint8Array;
  membershipKey: Uint8Array;
}

type Body =
  | { contentType: typeof ContentType.application; applicationData: Uint8Array }
  | { contentType: typeof ContentType.proposal; proposal: Proposal }
  | { contentType: typeof ContentType.commit; commit: Commit };

function bodyBytes(b: Body | FramedContent): Uint8Array {
  if (b.contentType === ContentType.proposal) return encodeBytes(proposalCodec, b.proposal);
  if (b.contentType === ContentType.commit) return encodeBytes(commitCodec, b.commit);
  return b.applicationData;
}

function decodeMessage(bytes: Uint8Array): MLSMessage {
  return decodeBytes(mlsMessageCodec, bytes);
}

const newTree = (x: Ctx) => new SecretTree(x.suite, x.encryptionSecret, 2);

async function checkPublic(x: Ctx, what: string, body: Body, pubBytes: Uint8Array | undefined) {
  if (pubBytes) {
    const m = decodeMessage(pubBytes);
    if (m.wireFormat !== WireFormat.mls_public_message)
      throw new Error(`${what}_pub is not public`);
    const ac = await unprotectPublicMessage(
      x.suite,
      m.publicMessage,
      x.membershipKey,
      x.groupContext,
    );
    await verifyContentSignature(x.suite, x.sigPub, ac, x.groupContext);
    expectEqualBytes(`${what}_pub content`, bodyBytes(ac.content), bodyBytes(body));
  }
  // Protect ourselves, then unprotect.
  const content: FramedContent = {
    groupId: x.groupId,
    epoch: x.epoch,
    sender: { senderType: SenderType.member, leafIndex: 1 },
    authenticatedData: new Uint8Array(0),
    ...body,
  };
  const signature = await signFramedContent(
    x.suite,
    x.sigPriv,
    WireFormat.mls_public_message,
    content,
    x.groupContext,
  );
  const auth =
    body.contentType === ContentType.commit
      ? { signature, confirmationTag: x.suite.randomBytes(x.suite.kdf.Nh) }
      : { signature };
  const ac: AuthenticatedContent = { wireFormat: WireFormat.mls_public_message, content, auth };
  if (body.contentType === ContentType.application) {
    let refused = false;
    try {
      await protectPublicMessage(x.suite, ac, x.membershipKey, x.groupContext);
    } catch {
      refused = true;
    }
    expectTrue("application data must not be protected as a PublicMessage", refused);
    return;
  }
  const pm = await protectPublicMessage(x.suite, ac, x.membershipKey, x.groupContext);
  const bytes = encodeBytes(mlsMessageCodec, {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mls_public_message,
    publicMessage: pm,
  });
  const back = decodeMessage(bytes);
  if (back.wireFormat !== WireFormat.mls_public_message) throw new Error("bad round trip");
  const ac2 = await unprotectPublicMessage(
    x.suite,
    back.publicMessage,
    x.membershipKey,
    x.groupContext,
  );
  await verifyContentSignature(x.suite, x.sigPub, ac2, x.groupContext);
  expectEqualBytes(`${what} re-protected public content`, bodyBytes(ac2.content), bodyBytes(body));
}

async function checkPrivate(x: Ctx, what: string, body: Body, privBytes: Uint8Array) {
  const m = decodeMessage(privBytes);
  if (m.wireFormat !== WireFormat.mls_private_message)
    throw new Error(`${what}_priv is not private`);
  const d = await unprotectPrivateMessage(
    x.suite,
    m.privateMessage,
    newTree(x),
    x.senderDataSecret,
  );
  await verifyContentSignature(x.suite, x.sigPub, d.authContent, x.groupContext);
  d.consume();
  expectEqualBytes(`${what}_priv content`, bodyBytes(d.authContent.content), bodyBytes(body));

  const content: FramedContent = {
    groupId: x.groupId,
    epoch: x.epoch,
    sender: { senderType: SenderType.member, leafIndex: 1 },
    authenticatedData: new Uint8Array(0),
    ...body,
  };
  const signature = await signFramedContent(
    x.suite,
    x.sigPriv,
    WireFormat.mls_private_message,
    content,
    x.groupContext,
  );
  const auth =
    body.contentType === ContentType.commit
      ? { signature, confirmationTag: x.suite.randomBytes(x.suite.kdf.Nh) }
      : { signature };
  const pm = await protectPrivateMessage(
    x.suite,
    { wireFormat: WireFormat.mls_private_message, content, auth },
    newTree(x),
    x.senderDataSecret,
    { paddingLength: 7 },
  );
  const bytes = encodeBytes(mlsMessageCodec, {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mls_private_message,
    privateMessage: pm,
  });
  const back = decodeMessage(bytes);
  if (back.wireFormat !== WireFormat.mls_private_message) throw new Error("bad round trip");
  const d2 = await unprotectPrivateMessage(
    x.suite,
    back.privateMessage,
    newTree(x),
    x.senderDataSecret,
  );
  await verifyContentSignature(x.suite, x.sigPub, d2.authContent, x.groupContext);
  d2.consume();
  expectEqualBytes(
    `${what} re-protected private content`,
    bodyBytes(d2.authContent.content),
    bodyBytes(body),
  );
}

export const messageProtection: VectorRunner = {
  name: "message-protection",
  async runCase(c) {
    const f = new Fields(c);
    const cipherSuite = f.num("cipher_suite");
    const suite = vectorSuite(cipherSuite);
    const groupId = f.hex("group_id");
    const epoch = BigInt(f.num("epoch"));
    const groupContext = encodeBytes(groupContextCodec, {
      version: ProtocolVersion.mls10,
      cipherSuite,
      groupId,
      epoch,
      treeHash: f.hex("tree_hash"),
      confirmedTranscriptHash: f.hex("confirmed_transcript_hash"),
      extensions: [],
    });
    const x: Ctx = {
      suite,
      groupId,
      epoch,
      groupContext,
      sigPriv: signaturePrivateKey(cipherSuite, f.hex("signature_priv")),
      sigPub: f.hex("signature_pub"),
      encryptionSecret: f.hex("encryption_secret"),
      senderDataSecret: f.hex("sender_data_secret"),
      membershipKey: f.hex("membership_key"),
    };
    const proposal: Body = {
      contentType: ContentType.proposal,
      proposal: decodeBytes(proposalCodec, f.hex("proposal")),
    };
    const commit: Body = {
      contentType: ContentType.commit,
      commit: decodeBytes(commitCodec, f.hex("commit")),
    };
    const application: Body = {
      contentType: ContentType.application,
      applicationData: f.hex("application"),
    };
    await checkPublic(x, "proposal", proposal, f.hex("proposal_pub"));
    await checkPrivate(x, "proposal", proposal, f.hex("proposal_priv"));
    await checkPublic(x, "commit", commit, f.hex("commit_pub"));
    await checkPrivate(x, "commit", commit, f.hex("commit_priv"));
    await checkPublic(x, "application", application, undefined);
    await checkPrivate(x, "application", application, f.hex("application_priv"));
  },
};
