/**
 * Message framing negatives (RFC 9420 §2.1.2, §6, §9): malformed encodings, tampered membership
 * tags and signatures, wrong epoch or group, reused generations and generations outside the
 * receiver's forward window or out-of-order tolerance. Every refusal is a typed error, leaves the
 * receiver as it was (the ratchet key of the refused message is still there: the genuine message
 * of the same generation decrypts afterwards), and the receiver reads the next valid message.
 */
import { describe, expect, it } from "vitest";
import {
  type AuthenticatedContent,
  CodecError,
  ContentType,
  CryptoError,
  computeMembershipTag,
  concat,
  decodeBytes,
  encodeBytes,
  encodePrivateMessageContent,
  type FramedContent,
  type MLSMessage,
  MlsGroup,
  mlsMessageCodec,
  type PrivateMessage,
  ProtocolVersion,
  privateContentAADCodec,
  protectPrivateMessage,
  SenderType,
  senderDataAADCodec,
  senderDataCodec,
  senderDataKeyAndNonce,
  signFramedContent,
  toLeafIndex,
  utf8,
  ValidationError,
  WireFormat,
  Writer,
} from "../../src/index.js";
import {
  buildGroup,
  expectRefused,
  protect,
  suite,
  type TestGroup,
} from "../validation/support.js";

type Priv = MLSMessage & { wireFormat: 2 };
type Pub = MLSMessage & { wireFormat: 1 };

const bytes = (m: MLSMessage) => encodeBytes(mlsMessageCodec, m);
const text = (s: string) => utf8(s);

async function pair(config: Parameters<typeof buildGroup>[0]["config"] = {}): Promise<TestGroup> {
  return buildGroup({ names: ["alice", "bob"], config });
}

/** `receiver` reads a fresh application message from `sender`. */
async function stillReads(sender: MlsGroup, receiver: MlsGroup) {
  const m = await sender.encrypt(text("next"));
  const r = await receiver.process(m);
  expect(r.kind === "application" && r.data).toEqual(text("next"));
}

async function readsApp(receiver: MlsGroup, m: MLSMessage | Uint8Array, expected: Uint8Array) {
  const r = await receiver.process(m);
  expect(r.kind === "application" && r.data).toEqual(expected);
}

/** A copy of `g`'s member (same keys and ratchets), to forge messages at its next generation. */
function twin(g: MlsGroup): MlsGroup {
  return MlsGroup.deserialize(g.serialize());
}

/** Signs application content from `g`'s member (or as `asLeaf`) for a PrivateMessage. */
async function signedApp(
  g: MlsGroup,
  data: Uint8Array,
  o: { key?: Uint8Array; asLeaf?: number } = {},
): Promise<AuthenticatedContent> {
  const s = g.currentState;
  const content: FramedContent = {
    groupId: g.groupId,
    epoch: g.epoch,
    sender: { senderType: SenderType.member, leafIndex: o.asLeaf ?? g.ownLeafIndex },
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.application,
    applicationData: data,
  };
  const signature = await signFramedContent(
    suite,
    o.key ?? s.signaturePrivateKey,
    WireFormat.mls_private_message,
    content,
    s.groupContextBytes,
  );
  return { wireFormat: WireFormat.mls_private_message, content, auth: { signature } };
}

/** Encrypts content by hand with `g`'s next application key, then appends `tail` to the padding. */
async function handEncrypted(
  g: MlsGroup,
  ac: AuthenticatedContent,
  tail: Uint8Array,
): Promise<MLSMessage> {
  const s = g.currentState;
  const leaf = (ac.content.sender as { leafIndex: number }).leafIndex;
  const k = await (await s.secretTree.ratchet(toLeafIndex(leaf), "application")).next();
  const w = new Writer(256);
  encodePrivateMessageContent(w, { ...ac.content, auth: ac.auth, paddingLength: 4 } as never);
  const plaintext = concat(w.finish(), tail);
  const aad = encodeBytes(privateContentAADCodec, {
    groupId: ac.content.groupId,
    epoch: ac.content.epoch,
    contentType: ac.content.contentType,
    authenticatedData: ac.content.authenticatedData,
  });
  const reuseGuard = new Uint8Array(4);
  const ciphertext = await suite.aead.seal(k.key, k.nonce, aad, plaintext);
  const sd = await senderDataKeyAndNonce(suite, s.secrets.senderDataSecret, ciphertext);
  const encryptedSenderData = await suite.aead.seal(
    sd.key,
    sd.nonce,
    encodeBytes(senderDataAADCodec, {
      groupId: ac.content.groupId,
      epoch: ac.content.epoch,
      contentType: ac.content.contentType,
    }),
    encodeBytes(senderDataCodec, { leafIndex: leaf, generation: k.generation, reuseGuard }),
  );
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mls_private_message,
    privateMessage: {
      groupId: ac.content.groupId,
      epoch: ac.content.epoch,
      contentType: ac.content.contentType,
      authenticatedData: ac.content.authenticatedData,
      encryptedSenderData,
      ciphertext,
    },
  };
}

/** Re-encrypts a PrivateMessage's sender data with other values. */
async function withSenderData(
  g: MlsGroup,
  m: MLSMessage,
  change: { leafIndex?: number; generation?: number },
): Promise<MLSMessage> {
  const pm = (m as Priv).privateMessage;
  const s = g.currentState;
  const sd = await senderDataKeyAndNonce(suite, s.secrets.senderDataSecret, pm.ciphertext);
  const aad = encodeBytes(senderDataAADCodec, {
    groupId: pm.groupId,
    epoch: pm.epoch,
    contentType: pm.contentType,
  });
  const old = decodeBytes(
    senderDataCodec,
    await suite.aead.open(sd.key, sd.nonce, aad, pm.encryptedSenderData),
  );
  const encryptedSenderData = await suite.aead.seal(
    sd.key,
    sd.nonce,
    aad,
    encodeBytes(senderDataCodec, { ...old, ...change }),
  );
  return { ...m, privateMessage: { ...pm, encryptedSenderData } } as MLSMessage;
}

// ====================================================================== codec

describe("§2.1.2 malformed encodings reach the group as CodecError and change nothing", () => {
  it("every truncation of a PrivateMessage and of a PublicMessage", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const app = bytes(await alice.encrypt(text("hello")));
    const prop = bytes((await alice.proposeRemove(1, { publicMessage: true })).message);
    for (const whole of [app, prop])
      for (let n = 0; n < whole.length; n += Math.max(1, Math.floor(whole.length / 97)))
        await expectRefused(bob, whole.subarray(0, n), CodecError);
    await readsApp(bob, app, text("hello"));
    expect((await bob.process(prop)).kind).toBe("proposal");
  });

  it("a trailing byte, and a vector length running past the end (overlong)", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const app = bytes(await alice.encrypt(text("hello")));
    await expectRefused(bob, concat(app, new Uint8Array([0])), CodecError);
    // The last field is the ciphertext<V>: claim one byte more than there is.
    const pm = (decodeBytes(mlsMessageCodec, app) as Priv).privateMessage;
    const ctLen = pm.ciphertext.length;
    expect(ctLen).toBeGreaterThanOrEqual(64);
    expect(ctLen).toBeLessThan(16384);
    const head = app.length - ctLen - 2;
    expect([app[head], app[head + 1]]).toEqual([0x40 | (ctLen >> 8), ctLen & 0xff]);
    const overlong = app.slice();
    overlong[head + 1] = (ctLen + 1) & 0xff;
    overlong[head] = 0x40 | ((ctLen + 1) >> 8);
    await expectRefused(bob, overlong, CodecError);
    await readsApp(bob, app, text("hello"));
  });

  it("non-minimal and invalid (0b11) vector length headers", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const app = bytes(await alice.encrypt(text("hello")));
    // version (2) + wire_format (2), then group_id<V> with a one-byte length header.
    const gidLen = alice.groupId.length;
    expect(app[4]).toBe(gidLen);
    const rest = app.subarray(5);
    const head = app.subarray(0, 4);
    const twoByte = concat(head, new Uint8Array([0x40, gidLen]), rest);
    const fourByte = concat(head, new Uint8Array([0x80, 0, 0, gidLen]), rest);
    const prefix11 = concat(head, new Uint8Array([0xc0 | gidLen]), rest);
    for (const bad of [twoByte, fourByte, prefix11]) {
      const err = await expectRefused(bob, bad, CodecError);
      expect(err.message).toMatch(/non-minimal|0b11/);
    }
    await readsApp(bob, app, text("hello"));
  });

  it("an unknown wire format, protocol version or content type", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const app = bytes(await alice.encrypt(text("hello")));
    const wf = app.slice();
    wf[3] = 0x7f;
    const ver = app.slice();
    ver[1] = 2;
    const ct = app.slice();
    ct[4 + 1 + alice.groupId.length + 8] = 9;
    for (const bad of [wf, ver, ct]) await expectRefused(bob, bad, CodecError);
    await readsApp(bob, app, text("hello"));
  });
});

// ====================================================================== membership tag, signature

describe("§6.1 / §6.2 membership tags and signatures", () => {
  it("refuses a PublicMessage with a tampered or missing membership tag", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const { message } = await alice.proposeRemove(1, { publicMessage: true });
    const pm = (message as Pub).publicMessage;
    const tag = pm.membershipTag!.slice();
    tag[0]! ^= 1;
    await expectRefused(
      bob,
      { ...message, publicMessage: { ...pm, membershipTag: tag } } as MLSMessage,
      CryptoError,
    );
    const { membershipTag: _, ...noTag } = pm;
    await expectRefused(bob, { ...message, publicMessage: noTag } as MLSMessage, CryptoError);
    expect((await bob.process(message)).kind).toBe("proposal");
  });

  it("refuses a PublicMessage whose membership tag is made with another epoch's key", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const oldKey = alice.currentState.secrets.membershipKey.slice();
    const res = await alice.commit();
    await alice.merge(res.staged);
    await receiveCommit(bob, res.commit);
    const { message } = await alice.proposeRemove(1, { publicMessage: true });
    const pm = (message as Pub).publicMessage;
    const s = alice.currentState;
    const membershipTag = await computeMembershipTag(
      suite,
      oldKey,
      { wireFormat: 1, content: pm.content, auth: pm.auth },
      s.groupContextBytes,
    );
    await expectRefused(
      bob,
      { ...message, publicMessage: { ...pm, membershipTag } } as MLSMessage,
      CryptoError,
    );
    expect((await bob.process(message)).kind).toBe("proposal");
  });

  it("refuses a PublicMessage whose signature is wrong although its membership tag is right", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const { message } = await alice.proposeRemove(1, { publicMessage: true });
    const pm = (message as Pub).publicMessage;
    const signature = pm.auth.signature.slice();
    signature[5]! ^= 0x20;
    const forged = await protect(alice, {
      wireFormat: 1,
      content: pm.content,
      auth: { signature },
    });
    const err = await expectRefused(bob, forged, CryptoError);
    expect(err.message).toMatch(/signature/);
    // Content changed after signing (membership tag recomputed): the signature no longer covers it.
    const changed = await protect(alice, {
      wireFormat: 1,
      content: { ...pm.content, authenticatedData: text("added later") },
      auth: pm.auth,
    });
    expect((await expectRefused(bob, changed, CryptoError)).message).toMatch(/signature/);
    // Signed by another member's key, claiming to be alice.
    const bobSigned = await signFramedContent(
      suite,
      t.client("bob").signatureKeyPair.privateKey,
      WireFormat.mls_public_message,
      pm.content,
      alice.currentState.groupContextBytes,
    );
    await expectRefused(
      bob,
      await protect(alice, { wireFormat: 1, content: pm.content, auth: { signature: bobSigned } }),
      CryptoError,
    );
    expect((await bob.process(message)).kind).toBe("proposal");
  });

  it("refuses a PrivateMessage whose inner signature is wrong; the key of its generation survives", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const forger = twin(alice);
    const ac = await signedApp(forger, text("forged"), {
      key: t.client("bob").signatureKeyPair.privateKey,
    });
    const forged = await protect(forger, ac);
    const genuine = await alice.encrypt(text("genuine"));
    // Same sender, same generation.
    await expectRefused(bob, forged, CryptoError);
    await readsApp(bob, genuine, text("genuine"));
    await stillReads(alice, bob);
  });

  it("refuses application data in a PublicMessage (§6.2)", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const s = alice.currentState;
    const content: FramedContent = {
      groupId: alice.groupId,
      epoch: alice.epoch,
      sender: { senderType: SenderType.member, leafIndex: 0 },
      authenticatedData: new Uint8Array(0),
      contentType: ContentType.application,
      applicationData: text("in the clear"),
    };
    const signature = await signFramedContent(
      suite,
      s.signaturePrivateKey,
      1,
      content,
      s.groupContextBytes,
    );
    const membershipTag = await computeMembershipTag(
      suite,
      s.secrets.membershipKey,
      { wireFormat: 1, content, auth: { signature } },
      s.groupContextBytes,
    );
    const m: MLSMessage = {
      version: 1,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: { content, auth: { signature }, membershipTag },
    };
    await expectRefused(bob, m, ValidationError, "RFC9420 §6.2");
    await expectRefused(bob, bytes(m), ValidationError, "RFC9420 §6.2");
    await stillReads(alice, bob);
  });
});

// ====================================================================== PrivateMessage integrity

describe("§6.3 PrivateMessage integrity", () => {
  it.each([
    ["the ciphertext", (pm: PrivateMessage) => ({ ...pm, ciphertext: flip(pm.ciphertext, 9) })],
    [
      "the sender data",
      (pm: PrivateMessage) => ({ ...pm, encryptedSenderData: flip(pm.encryptedSenderData, 2) }),
    ],
    ["the authenticated_data", (pm: PrivateMessage) => ({ ...pm, authenticatedData: text("x") })],
    ["the content type", (pm: PrivateMessage) => ({ ...pm, contentType: 2 as const })],
  ])("refuses a PrivateMessage with %s changed (CryptoError)", async (_, change) => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const m = (await alice.encrypt(text("hello"))) as Priv;
    await expectRefused(bob, { ...m, privateMessage: change(m.privateMessage) }, CryptoError);
    await readsApp(bob, m, text("hello"));
  });

  it("refuses non-zero padding (CodecError); the generation's key survives", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const forger = twin(alice);
    const bad = await handEncrypted(
      forger,
      await signedApp(forger, text("pad")),
      new Uint8Array([0, 0, 1]),
    );
    const genuine = await alice.encrypt(text("genuine"));
    await expectRefused(bob, bad, CodecError);
    await readsApp(bob, genuine, text("genuine"));
    // The same construction with zero padding is accepted (control).
    const forger2 = twin(alice);
    const ok = await handEncrypted(
      forger2,
      await signedApp(forger2, text("pad")),
      new Uint8Array(3),
    );
    await readsApp(bob, ok, text("pad"));
  });

  it("refuses sender data naming a leaf outside the tree (§6.3.2) or a blank leaf (§6.1)", async () => {
    const t = await buildGroup({ names: ["alice", "bob", "carol", "dave"] });
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const res = await alice.commit({ remove: [2] });
    for (const n of ["bob", "dave"]) {
      const r = await t.group(n).process(res.commit);
      if (r.kind === "commit") await t.group(n).merge(r.staged);
    }
    await alice.merge(res.staged);
    const m = await alice.encrypt(text("hi"));
    await expectRefused(
      bob,
      await withSenderData(alice, m, { leafIndex: 9 }),
      ValidationError,
      "RFC9420 §6.3.2",
    );
    // Encrypted under leaf 2's own ratchet, so it decrypts; but leaf 2 is blank.
    const forger = twin(alice);
    const asBlank = await protect(forger, await signedApp(forger, text("ghost"), { asLeaf: 2 }));
    await expectRefused(bob, asBlank, ValidationError, "RFC9420 §6.1");
    await readsApp(bob, m, text("hi"));
  });
});

// ====================================================================== epoch and group

describe("§6 messages for another epoch or group", () => {
  it("refuses another group id (PublicMessage and PrivateMessage)", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const other = utf8("another group");
    const app = (await alice.encrypt(text("hi"))) as Priv;
    await expectRefused(
      bob,
      { ...app, privateMessage: { ...app.privateMessage, groupId: other } },
      ValidationError,
      "RFC9420 §6",
    );
    const { message } = await alice.proposeRemove(1, { publicMessage: true });
    const pm = (message as Pub).publicMessage;
    // Re-signed and re-tagged, so only the group id is wrong.
    const moved = await protect(alice, {
      wireFormat: 1,
      content: { ...pm.content, groupId: other },
      auth: {
        signature: await signFramedContent(
          suite,
          alice.currentState.signaturePrivateKey,
          1,
          { ...pm.content, groupId: other },
          alice.currentState.groupContextBytes,
        ),
      },
    });
    await expectRefused(bob, moved, ValidationError, "RFC9420 §6");
    await readsApp(bob, app, text("hi"));
    expect((await bob.process(message)).kind).toBe("proposal");
  });

  it("refuses a future epoch (§14.4), and a handshake message of a past epoch (§6)", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const oldApp = (await alice.encrypt(text("old"))) as Priv;
    const oldProposal = (await alice.proposeRemove(1, { publicMessage: true })).message;
    const future = {
      ...oldApp,
      privateMessage: { ...oldApp.privateMessage, epoch: oldApp.privateMessage.epoch + 1n },
    };
    await expectRefused(bob, future, ValidationError, "RFC9420 §14.4");
    const res = await alice.commit({ includePending: false });
    await alice.merge(res.staged);
    await receiveCommit(bob, res.commit);
    await expectRefused(bob, oldProposal, ValidationError, "RFC9420 §6");
    // An application message of a retained past epoch is still readable (§14.4).
    await readsApp(bob, oldApp, text("old"));
    await stillReads(alice, bob);
  });

  it("refuses an epoch no longer retained (§14.4)", async () => {
    const t = await pair({ retainedEpochs: 0 });
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const oldApp = await alice.encrypt(text("old"));
    const res = await alice.commit();
    await alice.merge(res.staged);
    await receiveCommit(bob, res.commit);
    await expectRefused(bob, oldApp, ValidationError, "RFC9420 §14.4");
    await stillReads(alice, bob);
  });
});

// ====================================================================== generations

describe("§9.2 sender ratchet generations", () => {
  const window = { secretTree: { outOfOrderTolerance: 2, maximumForwardDistance: 5 } };

  async function burst(n: number, config = window) {
    const t = await pair(config);
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const msgs: MLSMessage[] = [];
    for (let i = 0; i < n; i++) msgs.push(await alice.encrypt(text(`m${i}`)));
    return { alice, bob, msgs };
  }

  it("refuses a replayed generation", async () => {
    const { alice, bob, msgs } = await burst(2);
    await readsApp(bob, msgs[0]!, text("m0"));
    await expectRefused(bob, msgs[0]!, ValidationError, "RFC9420 §9.2");
    await readsApp(bob, msgs[1]!, text("m1"));
    await expectRefused(bob, msgs[1]!, ValidationError, "RFC9420 §9.2");
    await stillReads(alice, bob);
  });

  it("refuses a generation beyond the configured forward window, and accepts the boundary", async () => {
    const { alice, bob, msgs } = await burst(8);
    await expectRefused(bob, msgs[6]!, ValidationError, "RFC9420 §9.2"); // 6 ahead of 0 > 5
    await expectRefused(bob, msgs[7]!, ValidationError, "RFC9420 §9.2");
    await readsApp(bob, msgs[5]!, text("m5")); // exactly 5 ahead
    await readsApp(bob, msgs[6]!, text("m6")); // refused before, nothing was consumed
    await readsApp(bob, msgs[7]!, text("m7"));
    await stillReads(alice, bob);
  });

  it("keeps only `outOfOrderTolerance` skipped keys for late messages", async () => {
    const { alice, bob, msgs } = await burst(6);
    await readsApp(bob, msgs[5]!, text("m5")); // skips 0..4, keeps the keys of 3 and 4
    await readsApp(bob, msgs[4]!, text("m4"));
    await readsApp(bob, msgs[3]!, text("m3"));
    for (const i of [2, 1, 0]) await expectRefused(bob, msgs[i]!, ValidationError, "RFC9420 §9.2");
    await expectRefused(bob, msgs[4]!, ValidationError, "RFC9420 §9.2"); // used once already
    await stillReads(alice, bob);
  });

  it("a generation pointer in forged sender data beyond the window is refused (§9.2)", async () => {
    const { alice, bob, msgs } = await burst(1);
    const far = await withSenderData(alice, msgs[0]!, { generation: 1000 });
    await expectRefused(bob, far, ValidationError, "RFC9420 §9.2");
    await readsApp(bob, msgs[0]!, text("m0"));
    await stillReads(alice, bob);
  });

  it("refuses a handshake message at a reused generation as well", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const { message } = await alice.proposeRemove(1);
    expect(message.wireFormat).toBe(WireFormat.mls_private_message);
    expect((await bob.process(message)).kind).toBe("proposal");
    await expectRefused(bob, message, ValidationError, "RFC9420 §9.2");
  });

  it("sends at its own pace: a forged message at the sender's next generation does not block it", async () => {
    const t = await pair();
    const [alice, bob] = [t.group("alice"), t.group("bob")];
    const forger = twin(alice);
    const forged = await protectPrivateMessage(
      suite,
      await signedApp(forger, text("x"), { key: t.client("bob").signatureKeyPair.privateKey }),
      forger.currentState.secretTree,
      forger.currentState.secrets.senderDataSecret,
    );
    await expectRefused(bob, { version: 1, wireFormat: 2, privateMessage: forged }, CryptoError);
    await stillReads(alice, bob);
  });
});

async function receiveCommit(g: MlsGroup, commit: MLSMessage) {
  const r = await g.process(commit);
  if (r.kind !== "commit") throw new Error("not a commit");
  await g.merge(r.staged);
}

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  c[i % c.length]! ^= 1;
  return c;
}
