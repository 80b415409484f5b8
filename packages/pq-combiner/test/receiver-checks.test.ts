/**
 * The receiver's checks (combiner-spec-digest §1.13), one negative test per check. Each asserts
 * a typed error (mls-core's CodecError / ValidationError / CryptoError) and that nothing changed
 * in either group of any receiver (state blob, epochs, epoch authenticators, exporters, pending
 * proposals), and then that a later valid message still processes.
 *
 * Invalid FULL commits are crafted from clones of the committer's two MlsGroups (helpers.ts
 * `craftFull`); a positive control shows the crafting itself yields commits receivers accept.
 */
import {
  AppDataUpdateOperation,
  CodecError,
  CryptoError,
  ExtProposalType,
  extType,
  getCipherSuite,
  isSupportedCipherSuite,
  type KeyPackage,
  type MLSMessage,
  MlsGroup,
  type Proposal,
  ProtocolVersion,
  stagedSafeExportSecret,
  UsageError,
  utf8,
  ValidationError,
  WireFormat,
} from "@hpqmls/mls-core";
import { describe, expect, it } from "vitest";
import {
  type ApqClient,
  type ApqInfo,
  type ApqPsk,
  type ApqSessionOptions,
  apqCapabilities,
  apqCodePoints,
  apqGroupConfig,
  apqGroupContextExtensions,
  apqLeafExtensions,
  apqPskId,
  CLASSICAL_SUITES,
  decodeApqMessage,
  defaultIdentityOf,
  deriveApqPsk,
  encodeMessagePair,
  leafOf,
  MLDSA_SUITES,
  PURE_MLKEM_SUITES,
  ApqSession as Session,
  validateSuitePair,
} from "../src/index.js";
import {
  appDataUpdate,
  type Crafted,
  type CraftOptions,
  clientFor,
  cloneGroup,
  craftFull,
  DEFAULT_PAIR,
  encodeInfo,
  encodeMessage,
  epochUpdates,
  established,
  fingerprint,
  fullUpdate,
  Group,
  hex,
  idOf,
  MODE0_PAIR,
  rawPair,
  rejectionOf,
} from "./helpers.js";

// ------------------------------------------------------------------ fixture and assertions

interface Fixture {
  readonly g: Group;
  readonly alice: Session;
  readonly bob: Session;
  readonly carol: Session;
  /** Handshakes as PublicMessage (else PrivateMessage). */
  readonly pub: boolean;
  /** craftFull by `author` (default alice) in the fixture's framing. */
  craft(o?: CraftOptions, author?: Session): Promise<Crafted>;
}

/** alice, bob and carol in an established session, restored from a snapshot for each test. */
async function fixture(
  pub = false,
  options: ApqSessionOptions = DEFAULT_PAIR.options,
): Promise<Fixture> {
  const g = await established(["alice", "bob", "carol"], { ...options, publicHandshakes: pub });
  const alice = g.member("alice").session;
  return {
    g,
    alice,
    bob: g.member("bob").session,
    carol: g.member("carol").session,
    pub,
    craft: (c = {}, author = alice) => craftFull(author, { tPublic: pub, pqPublic: pub, ...c }),
  };
}

/** True if processing `bytes` decrypts nothing (only PublicMessages, or undecodable). */
function noPrivateMessage(bytes: Uint8Array): boolean {
  try {
    const m = decodeApqMessage(bytes);
    const halves = m.kind === "pair" ? [m.pair.t, m.pair.pq] : [m.message];
    return halves.every((h) => h.wireFormat !== WireFormat.mls_private_message);
  } catch {
    return true;
  }
}

type ErrorClass = typeof CodecError | typeof ValidationError | typeof CryptoError;

/**
 * Every receiver (all members but `sender`) refuses `bytes` with an error of `kind` whose
 * message matches `pattern`, and is left as it was: same view (epochs, APQInfo, authenticators,
 * exporters, members), pending proposals and session bookkeeping. When nothing had to be
 * decrypted, the whole state blob (both groups, activity) must be byte-identical too; decrypting
 * a PrivateMessage legitimately expands the receiver's secret-tree cache, so there the later
 * valid message (`stillWorks`, same sender generation) shows that no key was consumed.
 */
async function expectRejected(
  f: Fixture,
  sender: string,
  bytes: Uint8Array,
  kind: ErrorClass,
  pattern?: RegExp,
): Promise<void> {
  for (const m of f.g.others(sender)) {
    const before = await fingerprint(m.session);
    const blob = hex(m.session.serialize());
    const e = await rejectionOf(m.session.process(bytes));
    expect(e, `${m.name}: ${String(e)}`).toBeInstanceOf(kind);
    if (pattern !== undefined) expect((e as Error).message).toMatch(pattern);
    expect(await fingerprint(m.session), `${m.name} changed`).toEqual(before);
    if (noPrivateMessage(bytes))
      expect(hex(m.session.serialize()), `${m.name}'s state blob changed`).toBe(blob);
  }
}

/** A later valid message still processes: a real FULL commit, then messages both ways. */
async function stillWorks(f: Fixture, committer = "alice"): Promise<void> {
  await f.g.full(committer);
  await f.g.send("bob");
  await f.g.send("alice");
}

function flipPrivate(m: MLSMessage): MLSMessage {
  if (m.wireFormat !== WireFormat.mls_private_message) throw new Error("not a PrivateMessage");
  const ciphertext = m.privateMessage.ciphertext.slice();
  ciphertext[ciphertext.length - 1]! ^= 0x01;
  return { ...m, privateMessage: { ...m.privateMessage, ciphertext } };
}

function flipPublic(m: MLSMessage): MLSMessage {
  if (m.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
  const signature = m.publicMessage.auth.signature.slice();
  signature[7]! ^= 0x01;
  return {
    ...m,
    publicMessage: { ...m.publicMessage, auth: { ...m.publicMessage.auth, signature } },
  };
}

const flip = (m: MLSMessage) =>
  m.wireFormat === WireFormat.mls_private_message ? flipPrivate(m) : flipPublic(m);

function pairOf(bytes: Uint8Array) {
  const d = decodeApqMessage(bytes);
  if (d.kind !== "pair") throw new Error("not a pair");
  return d.pair;
}

/** The leaf of a member (by name) in one of a session's groups. */
function leaf(g: MlsGroup, name: string): number {
  const l = leafOf(g.currentState.tree, idOf(name), defaultIdentityOf);
  if (l === undefined) throw new Error(`${name} is not in the group`);
  return l;
}

const FRAMINGS = [
  { pub: false, label: "PrivateMessage handshakes" },
  { pub: true, label: "PublicMessage handshakes" },
] as const;

// ------------------------------------------------------------------ positive controls

describe("positive controls", () => {
  for (const { pub, label } of FRAMINGS)
    it(`a FULL commit crafted from clones of the committer's groups is accepted (${label})`, async () => {
      const f = await fixture(pub);
      const c = await f.craft();
      for (const m of f.g.others("alice")) {
        const r = await m.session.process(c.message);
        expect(r).toMatchObject({ kind: "commit", commitKind: "full", sender: idOf("alice") });
      }
      expect(f.bob.tEpoch).toBe(f.alice.tEpoch + 1n);
      expect(hex(f.bob.traditional.epochAuthenticator)).toBe(
        hex(c.tStaged.next.secrets.epochAuthenticator),
      );
      expect(hex(f.carol.postQuantum.epochAuthenticator)).toBe(
        hex(c.pqStaged.next.secrets.epochAuthenticator),
      );
      expect(f.bob.apqInfo.tEpoch).toBe(f.bob.tEpoch);
    });

  it("a full_update with unchanged fields is accepted", async () => {
    const f = await fixture();
    const next = { ...f.alice.apqInfo, tEpoch: f.alice.tEpoch + 1n, pqEpoch: f.alice.pqEpoch + 1n };
    const c = await f.craft({ pqUpdates: fullUpdate(next) });
    for (const m of f.g.others("alice"))
      expect((await m.session.process(c.message)).kind).toBe("commit");
  });

  it("the same client added to both groups is accepted", async () => {
    const f = await fixture();
    const dave = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
    const c = await f.craft({ tAdd: [dave.t.keyPackage], pqAdd: [dave.pq.keyPackage] });
    const r = await f.bob.process(c.message);
    expect(r).toMatchObject({ kind: "commit", added: [idOf("dave")] });
  });
});

// ------------------------------------------------------------------ §1.13 item 1: the pair

describe("§1.13-1 APQMessagePair framing", () => {
  for (const { pub, label } of FRAMINGS)
    for (const half of ["t", "pq"] as const)
      it(`a bit flip in the ${half === "t" ? "T" : "PQ"} half is refused (${label})`, async () => {
        const f = await fixture(pub);
        const c = await f.alice.fullCommit();
        const p = pairOf(c.message);
        const bad = encodeMessagePair({
          wireFormat: p.wireFormat,
          t: half === "t" ? flip(p.t) : p.t,
          pq: half === "pq" ? flip(p.pq) : p.pq,
        });
        await expectRejected(f, "alice", bad, CryptoError);
        // the untampered pair still goes through
        await f.g.deliver("alice", c);
        await stillWorks(f);
      });

  it("halves with different wire formats (T PrivateMessage, PQ PublicMessage) are refused", async () => {
    const f = await fixture();
    const c = await f.craft({ tPublic: false, pqPublic: true });
    await expectRejected(f, "alice", c.message, CodecError, /wire format/);
    // Also when the pair claims the PQ half's wire format.
    const other = rawPair(WireFormat.mls_public_message, c.t, c.pq);
    await expectRejected(f, "alice", other, CodecError, /wire format/);
    await stillWorks(f);
  });

  it("a pair whose wire_format is apq_message_pair is refused", async () => {
    const f = await fixture();
    const c = await f.craft();
    const bad = rawPair(apqCodePoints().messagePairWireFormat, c.t, c.pq);
    await expectRejected(f, "alice", bad, CodecError, /cannot contain APQMessagePairs/);
    await stillWorks(f);
  });

  it("an application message inside a pair is refused", async () => {
    const f = await fixture();
    const app = decodeApqMessage(await f.alice.encrypt(utf8("inside a pair")));
    if (app.kind !== "plain") throw new Error("expected a plain message");
    const c = await f.craft();
    const bad = rawPair(WireFormat.mls_private_message, app.message, c.pq);
    await expectRejected(f, "alice", bad, CodecError, /application messages/);
    await stillWorks(f);
  });

  it("Welcome, GroupInfo and KeyPackage pairs are not group messages", async () => {
    const f = await fixture();
    const kp = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
    const add = await f.alice.fullCommit({ add: [f.alice.decodeKeyPackagePair(kp.message)] });
    for (const bytes of [add.welcome!, await f.alice.groupInfoPair(), kp.message])
      await expectRejected(f, "alice", bytes, ValidationError, /commit or proposal pairs only/);
    add.discard();
    await stillWorks(f);
  });

  it("a truncated pair is a CodecError", async () => {
    const f = await fixture();
    const c = await f.alice.fullCommit();
    await expectRejected(f, "alice", c.message.subarray(0, c.message.length - 3), CodecError);
    await f.g.deliver("alice", c);
    await stillWorks(f);
  });
});

// ------------------------------------------------------------------ checks on crafted commits

for (const { pub, label } of FRAMINGS)
  describe(`checks on crafted FULL and PARTIAL commits (${label})`, () => {
    // -------------------------------------------------------------- §1.13 item 2: order
    it("§1.13-2 a pair with the halves swapped is refused", async () => {
      const f = await fixture(pub);
      const c = await f.alice.fullCommit();
      const p = pairOf(c.message);
      const swapped = encodeMessagePair({ wireFormat: p.wireFormat, t: p.pq, pq: p.t });
      await expectRejected(f, "alice", swapped, ValidationError, /not for this session/);
      await f.g.deliver("alice", c);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- §1.13 item 3: the PSK
    it("§1.13-3 a FULL commit whose T half has no PSK is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({ psk: "none" });
      await expectRejected(f, "alice", c.message, ValidationError, /must inject the APQ PSK/);
      await stillWorks(f);
    });

    it("§1.13-3 a PSK id other than the receiver's apq_psk_id is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({ psk: "wrong-id" });
      await expectRejected(f, "alice", c.message, ValidationError, /PSK .* not available/);
      await stillWorks(f);
    });

    it("§1.13-3 the apq_psk_id under another component id is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({ psk: "other-component" });
      await expectRejected(f, "alice", c.message, ValidationError, /not available/);
      await stillWorks(f);
    });

    it("§1.13-3 the right id with another PSK value (a different apq_psk) is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({ psk: "wrong-value" });
      // The PSK resolves but the T key schedule differs: the confirmation tag does not verify.
      await expectRejected(f, "alice", c.message, CryptoError);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- §1.13 item 4: APQInfo fields
    const changes: [string, (i: ApqInfo) => ApqInfo][] = [
      ["the mode", (i) => ({ ...i, mode: i.mode === 1 ? 0 : 1 })],
      ["the T group id", (i) => ({ ...i, tGroupId: utf8("another T group!") })],
      ["the PQ group id", (i) => ({ ...i, pqGroupId: utf8("another PQ group") })],
      ["the PQ cipher suite", (i) => ({ ...i, pqCipherSuite: 0xf00b })],
      ["the T cipher suite", (i) => ({ ...i, tCipherSuite: 3 })],
    ];
    for (const [what, change] of changes)
      it(`§1.13-4 a full_update changing ${what} is refused`, async () => {
        const f = await fixture(pub);
        const next = change({
          ...f.alice.apqInfo,
          tEpoch: f.alice.tEpoch + 1n,
          pqEpoch: f.alice.pqEpoch + 1n,
        });
        const c = await f.craft({ pqUpdates: fullUpdate(next) });
        await expectRejected(f, "alice", c.message, ValidationError, /rejected the update/);
        await stillWorks(f);
      });

    it("§1.13-4 removing APQInfo (AppDataUpdate op remove) is refused", async () => {
      const f = await fixture(pub);
      const remove: Proposal = {
        proposalType: ExtProposalType.app_data_update,
        componentId: apqCodePoints().componentId,
        op: AppDataUpdateOperation.remove,
      };
      const res = await cloneGroup(f.alice.traditional).commit({
        proposals: [remove],
        path: true,
        publicMessage: pub,
      });
      await expectRejected(f, "alice", encodeMessage(res.commit), ValidationError, /refused/);
      await stillWorks(f);
    });

    it("§1.13-4 a lone new_t_epoch (without new_pq_epoch) is refused", async () => {
      const f = await fixture(pub);
      const [tOnly] = epochUpdates(f.alice.tEpoch + 1n, f.alice.pqEpoch + 1n);
      const c = await f.craft({ pqUpdates: [tOnly!] });
      await expectRejected(f, "alice", c.message, ValidationError, /rejected the update/);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- §1.13 item 5: epochs
    it("§1.13-5 APQInfo epochs that are not the two new epochs are refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({
        pqUpdates: epochUpdates(f.alice.tEpoch + 2n, f.alice.pqEpoch + 1n),
      });
      await expectRejected(f, "alice", c.message, ValidationError, /record the two new epochs/);
      const d = await f.craft({ pqUpdates: epochUpdates(f.alice.tEpoch + 1n, f.alice.pqEpoch) });
      await expectRejected(f, "alice", d.message, ValidationError, /record the two new epochs/);
      await stillWorks(f);
    });

    it("§1.13-5 a FULL commit that does not update APQInfo at all is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({ pqUpdates: [], tUpdates: [] });
      await expectRejected(f, "alice", c.message, ValidationError, /record the two new epochs/);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- §1.13 item 6: T = PQ
    it("§1.13-6 a T half whose APQInfo differs from the PQ half's is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({
        tUpdates: epochUpdates(f.alice.tEpoch + 1n, f.alice.pqEpoch + 1n),
        pqUpdates: epochUpdates(f.alice.tEpoch + 2n, f.alice.pqEpoch + 1n),
      });
      await expectRejected(f, "alice", c.message, ValidationError, /APQInfo differ/);
      const d = await f.craft({
        pqUpdates: [],
        tUpdates: epochUpdates(f.alice.tEpoch + 1n, f.alice.pqEpoch + 1n),
      });
      await expectRejected(f, "alice", d.message, ValidationError, /APQInfo differ/);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- §1.13 item 7: membership
    it("§1.13-7 an Add in the PQ group only is refused", async () => {
      const f = await fixture(pub);
      const kp = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
      const c = await f.craft({ pqAdd: [kp.pq.keyPackage] });
      await expectRejected(f, "alice", c.message, ValidationError, /same members/);
      await stillWorks(f);
    });

    it("§1.13-7 a Remove in the T group only is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft({ tRemove: [leaf(f.alice.traditional, "carol")] });
      // carol, removed from T only, refuses it too ("removed from both groups at once").
      await expectRejected(f, "alice", c.message, ValidationError);
      await stillWorks(f);
    });

    it("§1.13-7 different clients added to the two groups are refused", async () => {
      const f = await fixture(pub);
      const dave = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
      const erin = await Session.keyPackagePair(await clientFor("erin", DEFAULT_PAIR.options));
      const c = await f.craft({ tAdd: [dave.t.keyPackage], pqAdd: [erin.pq.keyPackage] });
      await expectRejected(f, "alice", c.message, ValidationError, /same members/);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- §1.13 item 10: PARTIAL
    it("§1.13-10 a plain T commit with an Add is refused", async () => {
      const f = await fixture(pub);
      const kp = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
      const res = await cloneGroup(f.alice.traditional).commit({
        add: [kp.t.keyPackage],
        path: true,
        publicMessage: pub,
      });
      await expectRejected(f, "alice", encodeMessage(res.commit), ValidationError, /PARTIAL/);
      await stillWorks(f);
    });

    it("§1.13-10 a plain T commit with a Remove is refused (also by the removed member)", async () => {
      const f = await fixture(pub);
      const res = await cloneGroup(f.alice.traditional).commit({
        remove: [leaf(f.alice.traditional, "carol")],
        path: true,
        publicMessage: pub,
      });
      await expectRejected(f, "alice", encodeMessage(res.commit), ValidationError);
      await stillWorks(f);
    });

    it("§1.13-10 a plain T commit changing APQInfo (epoch updates) is refused", async () => {
      const f = await fixture(pub);
      const res = await cloneGroup(f.alice.traditional).commit({
        proposals: epochUpdates(f.alice.tEpoch + 1n, f.alice.pqEpoch).map(appDataUpdate),
        path: true,
        publicMessage: pub,
      });
      await expectRejected(f, "alice", encodeMessage(res.commit), ValidationError, /APQInfo/);
      await stillWorks(f);
    });

    it("§1.13-10 a plain T commit injecting the APQ PSK (a FULL commit's T half alone) is refused", async () => {
      const f = await fixture(pub);
      const c = await f.craft();
      await expectRejected(f, "alice", encodeMessage(c.t), ValidationError);
      await stillWorks(f);
    });

    // -------------------------------------------------------------- further checks
    it("a plain PQ-group commit is refused", async () => {
      const f = await fixture(pub);
      const res = await cloneGroup(f.alice.postQuantum).commit({
        proposals: epochUpdates(f.alice.tEpoch, f.alice.pqEpoch + 1n).map(appDataUpdate),
        path: true,
        publicMessage: pub,
      });
      await expectRejected(f, "alice", encodeMessage(res.commit), ValidationError, /PQ-group/);
      await stillWorks(f);
    });

    it("a plain PQ-group proposal is refused", async () => {
      const f = await fixture(pub);
      const { message } = await cloneGroup(f.bob.postQuantum).proposeUpdate({
        publicMessage: pub,
      });
      await expectRejected(f, "bob", encodeMessage(message), ValidationError, /PQ-group/);
      await stillWorks(f);
    });

    it("T and PQ halves from different committers are refused", async () => {
      const f = await fixture(pub);
      // alice's T commit injecting the apq_psk of bob's PQ commit; carol is neither committer
      const c = await f.craft({ pqFrom: f.bob });
      const before = await fingerprint(f.carol);
      const blob = hex(f.carol.serialize());
      const e = await rejectionOf(f.carol.process(c.message));
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).message).toMatch(/different clients/);
      expect(await fingerprint(f.carol)).toEqual(before);
      if (pub) expect(hex(f.carol.serialize())).toBe(blob);
      await stillWorks(f);
    });

    it("a FULL commit of a past epoch (replay) is refused", async () => {
      const f = await fixture(pub);
      const c = await f.alice.fullCommit();
      await f.g.deliver("alice", c);
      await expectRejected(f, "alice", c.message, ValidationError);
      await stillWorks(f);
    });

    it("a pair for another session is refused", async () => {
      const f = await fixture(pub);
      const other = await Group.create("alice", { ...DEFAULT_PAIR.options, publicHandshakes: pub });
      const kp = await Session.keyPackagePair(await clientFor("bob", DEFAULT_PAIR.options));
      const o = other.member("alice").session;
      const c = await o.fullCommit({ add: [o.decodeKeyPackagePair(kp.message)] });
      await expectRejected(f, "alice", c.message, ValidationError, /not for this session/);
      await stillWorks(f);
    });
  });

// ------------------------------------------------------------------ §1.13 item 7: KeyPackages

describe("§1.13-7 KeyPackage pairs name one client", () => {
  it("a KeyPackage pair naming two different clients is refused", async () => {
    const f = await fixture();
    const dave = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
    const erin = await Session.keyPackagePair(await clientFor("erin", DEFAULT_PAIR.options));
    const kpMessage = (keyPackage: KeyPackage): MLSMessage => ({
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mls_key_package,
      keyPackage,
    });
    const mixed = encodeMessagePair({
      wireFormat: WireFormat.mls_key_package,
      t: kpMessage(dave.t.keyPackage),
      pq: kpMessage(erin.pq.keyPackage),
    });
    expect(() => f.alice.decodeKeyPackagePair(mixed)).toThrow(ValidationError);
    // and the sender side refuses such a pair too
    await expect(
      f.alice.fullCommit({ add: [{ t: dave.t.keyPackage, pq: erin.pq.keyPackage }] }),
    ).rejects.toBeInstanceOf(UsageError);
  });
});

// ------------------------------------------------------------------ §1.13 item 8: suites

describe("§1.13-8 cipher suites", () => {
  it("validateSuitePair accepts exactly classical T + pure ML-KEM PQ (+ ML-DSA in mode 1)", () => {
    const candidates = [
      1, 2, 3, 4, 5, 6, 7, 0xf001, 0xf002, 0xf006, 0xf007, 0xf008, 0xf00a, 0xf00b,
    ];
    let checked = 0;
    for (const t of candidates)
      for (const pq of candidates)
        for (const mode of [0, 1] as const) {
          if (!isSupportedCipherSuite(t) || !isSupportedCipherSuite(pq)) continue;
          const ok =
            t !== pq &&
            CLASSICAL_SUITES.has(t) &&
            PURE_MLKEM_SUITES.has(pq) &&
            (mode === 0 || MLDSA_SUITES.has(pq)) &&
            getCipherSuite(pq).kdf.Nh >= getCipherSuite(t).kdf.Nh;
          const run = () => validateSuitePair(t, pq, mode);
          const what = `0x${t.toString(16)} / 0x${pq.toString(16)}, mode ${mode}`;
          if (ok) expect(run, what).not.toThrow();
          else expect(run, what).toThrow(ValidationError);
          checked++;
        }
    expect(checked).toBeGreaterThan(50);
  });

  it("the suite sets are what the draft and the decisions say", () => {
    expect([...CLASSICAL_SUITES].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // hybrid X-Wing / ECDH+ML-KEM suites are never the PQ suite of a session
    for (const hybrid of [0xf001, 0xf002, 0xf003, 0xf004, 0xf005, 0xf009])
      expect(PURE_MLKEM_SUITES.has(hybrid)).toBe(false);
    for (const s of MLDSA_SUITES) expect(PURE_MLKEM_SUITES.has(s)).toBe(true);
  });

  it("duplicate suites, a classical PQ suite, a hybrid PQ KEM and mode/suite mismatch are refused", () => {
    expect(() => validateSuitePair(1, 1, 0)).toThrow(/same cipher suite/);
    expect(() => validateSuitePair(0xf00a, 0xf00a, 1)).toThrow(/same cipher suite/);
    expect(() => validateSuitePair(1, 2, 0)).toThrow(/not a pure ML-KEM suite/);
    expect(() => validateSuitePair(0xf00a, 1, 1)).toThrow(/not a classical/);
    expect(() => validateSuitePair(1, 0xf006, 1)).toThrow(/mode 1 needs/);
    expect(() => validateSuitePair(1, 0xf001, 0)).toThrow(/hybrid KEMs are refused/);
  });

  it("sessions, clients and KeyPackage pairs cannot be made with such parameters", async () => {
    const bad: ApqSessionOptions[] = [
      { tSuite: 1, pqSuite: 1, mode: 0 },
      { tSuite: 0xf00a, pqSuite: 1 },
      { pqSuite: 0xf006, mode: 1 },
      { pqSuite: 0xf001, mode: 0 },
      { tSuite: 2, pqSuite: 2, mode: 0 },
    ];
    const good = await clientFor("alice", DEFAULT_PAIR.options);
    for (const o of bad) {
      await expect(Session.newClient(good.credential, o)).rejects.toBeInstanceOf(ValidationError);
      await expect(Session.create(good, o)).rejects.toBeInstanceOf(ValidationError);
      await expect(Session.keyPackagePair(good, o)).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it("joining with other suites or mode than the session's is refused", async () => {
    const f = await fixture();
    const kp = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
    const c = await f.alice.fullCommit({ add: [f.alice.decodeKeyPackagePair(kp.message)] });
    // mode 0 over the same suites is a valid pair, but not this session's
    await expect(Session.join(c.welcome!, { t: kp.t, pq: kp.pq }, { mode: 0 })).rejects.toThrow(
      /suites or mode differ/,
    );
    const gi = await f.alice.groupInfoPair();
    const dave = await clientFor("dave", DEFAULT_PAIR.options);
    await expect(Session.joinExternal(dave, gi, { mode: 0 })).rejects.toThrow(
      /suites or mode differ/,
    );
    c.discard();
    await stillWorks(f);
  });

  /** A hand-made session whose APQInfo claims `claim` while its groups use `actual` suites. */
  async function handMade(claim: Partial<ApqInfo>, actual: ApqSessionOptions) {
    const creator = await clientFor("mallory", actual);
    const tSuite = getCipherSuite(actual.tSuite ?? 1);
    const pqSuite = getCipherSuite(actual.pqSuite ?? 0xf00a);
    const info: ApqInfo = {
      tGroupId: tSuite.randomBytes(16),
      pqGroupId: pqSuite.randomBytes(16),
      mode: actual.mode ?? 1,
      tCipherSuite: tSuite.id,
      pqCipherSuite: pqSuite.id,
      tEpoch: 0n,
      pqEpoch: 0n,
      ...claim,
    };
    const armed: { value?: ApqPsk } = {};
    const store = {
      external: () => undefined,
      application: (_c: number, id: Uint8Array) =>
        armed.value !== undefined && hex(id) === hex(armed.value.pskId)
          ? armed.value.psk
          : undefined,
    };
    const common = {
      credential: creator.credential,
      leafExtensions: apqLeafExtensions(),
      config: apqGroupConfig(),
    };
    const pq = await MlsGroup.create({
      ...common,
      suite: pqSuite,
      signatureKeyPair: creator.pqSignatureKeyPair,
      groupId: info.pqGroupId,
      capabilities: apqCapabilities(pqSuite.id),
      groupContextExtensions: apqGroupContextExtensions(info, false),
    });
    const t = await MlsGroup.create({
      ...common,
      suite: tSuite,
      signatureKeyPair: creator.tSignatureKeyPair,
      groupId: info.tGroupId,
      capabilities: apqCapabilities(tSuite.id),
      groupContextExtensions: apqGroupContextExtensions(info, true),
      psks: store,
    });
    const giMessage = async (g: MlsGroup): Promise<MLSMessage> => ({
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mls_group_info,
      groupInfo: await g.groupInfo(),
    });
    const groupInfoPair = async () =>
      encodeMessagePair({
        wireFormat: WireFormat.mls_group_info,
        t: await giMessage(t),
        pq: await giMessage(pq),
      });
    /** Adds a joiner to both groups as the session would (FULL commit, Welcome pair). */
    const addJoiner = async (joiner: ApqClient) => {
      const kp = await Session.keyPackagePair(joiner, actual);
      const next = fullUpdate({ ...info, tEpoch: 1n, pqEpoch: 1n }).map(appDataUpdate);
      const pqRes = await pq.commit({ add: [kp.pq.keyPackage], proposals: next, path: true });
      const apq = await deriveApqPsk(
        tSuite,
        await stagedSafeExportSecret(pqRes.staged, apqCodePoints().componentId),
      );
      armed.value = apq;
      const tRes = await t.commit({
        add: [kp.t.keyPackage],
        psks: [apqPskId(tSuite, apq.pskId)],
        proposals: next,
        path: true,
      });
      const welcome = encodeMessagePair({
        wireFormat: WireFormat.mls_welcome,
        t: tRes.welcome!,
        pq: pqRes.welcome!,
      });
      return { welcome, kp };
    };
    return { info, groupInfoPair, addJoiner };
  }

  it("a Welcome pair of a hand-made session with valid APQInfo is accepted (control)", async () => {
    const s = await handMade({}, DEFAULT_PAIR.options);
    const { welcome, kp } = await s.addJoiner(await clientFor("dave", DEFAULT_PAIR.options));
    const joined = await Session.join(welcome, { t: kp.t, pq: kp.pq });
    expect(encodeInfo(joined.apqInfo)).toBe(encodeInfo({ ...s.info, tEpoch: 1n, pqEpoch: 1n }));
  });

  it("a Welcome pair whose APQInfo names duplicate suites is refused", async () => {
    const s = await handMade({ pqCipherSuite: 1 }, DEFAULT_PAIR.options);
    const { welcome, kp } = await s.addJoiner(await clientFor("dave", DEFAULT_PAIR.options));
    const e = await rejectionOf(Session.join(welcome, { t: kp.t, pq: kp.pq }));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/same cipher suite/);
  });

  it("a Welcome pair whose APQInfo claims mode 1 over an Ed25519 PQ suite is refused", async () => {
    const s = await handMade({ mode: 1 }, MODE0_PAIR.options);
    const { welcome, kp } = await s.addJoiner(await clientFor("dave", MODE0_PAIR.options));
    const e = await rejectionOf(Session.join(welcome, { t: kp.t, pq: kp.pq }, MODE0_PAIR.options));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/mode 1 needs/);
  });

  it("a GroupInfo pair whose APQInfo names a classical PQ suite is refused", async () => {
    const s = await handMade({ pqCipherSuite: 2, mode: 0 }, DEFAULT_PAIR.options);
    const dave = await clientFor("dave", DEFAULT_PAIR.options);
    const e = await rejectionOf(Session.joinExternal(dave, await s.groupInfoPair()));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/not a pure ML-KEM suite/);
  });
});

// ------------------------------------------------------------------ §1.13 item 9: joining

describe("§1.13-9 joining needs both sessions with the same APQInfo", () => {
  it("a GroupInfo pair with a half from a plain MLS group (no APQInfo) is refused", async () => {
    const f = await fixture();
    const good = pairOf(await f.alice.groupInfoPair());
    const dave = await clientFor("dave", DEFAULT_PAIR.options);
    const plain = await MlsGroup.create({
      suite: getCipherSuite(0xf00a),
      credential: dave.credential,
      signatureKeyPair: dave.pqSignatureKeyPair,
    });
    const bad = encodeMessagePair({
      wireFormat: WireFormat.mls_group_info,
      t: good.t,
      pq: {
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_group_info,
        groupInfo: await plain.groupInfo(),
      },
    });
    const e = await rejectionOf(Session.joinExternal(dave, bad));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/same APQInfo/);
  });

  it("a GroupInfo pair mixing two sessions is refused", async () => {
    const f1 = await fixture();
    const f2 = await Group.create("bob", DEFAULT_PAIR.options);
    const a = pairOf(await f1.alice.groupInfoPair());
    const b = pairOf(await f2.member("bob").session.groupInfoPair());
    const bad = encodeMessagePair({ wireFormat: WireFormat.mls_group_info, t: a.t, pq: b.pq });
    const dave = await clientFor("dave", DEFAULT_PAIR.options);
    const e = await rejectionOf(Session.joinExternal(dave, bad));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/same APQInfo/);
  });

  it("join refuses what is not a Welcome pair; joinExternal what is not a GroupInfo pair", async () => {
    const kp = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
    await expect(Session.join(kp.message, { t: kp.t, pq: kp.pq })).rejects.toThrow(
      /not a Welcome pair/,
    );
    await expect(
      Session.joinExternal(await clientFor("dave", DEFAULT_PAIR.options), kp.message),
    ).rejects.toThrow(/not a GroupInfo pair/);
  });

  it("a Welcome pair whose T and PQ Welcomes come from different commits is refused", async () => {
    // Two adds of the same client by two members: the T Welcome of one, the PQ Welcome of the
    // other. The joiner derives apq_psk from the wrong PQ epoch: the T Welcome cannot be used.
    const f = await fixture();
    const kp = await Session.keyPackagePair(await clientFor("dave", DEFAULT_PAIR.options));
    const c1 = await f.alice.fullCommit({ add: [f.alice.decodeKeyPackagePair(kp.message)] });
    const c2 = await f.bob.fullCommit({ add: [f.bob.decodeKeyPackagePair(kp.message)] });
    const w1 = pairOf(c1.welcome!);
    const w2 = pairOf(c2.welcome!);
    const mixed = encodeMessagePair({ wireFormat: WireFormat.mls_welcome, t: w1.t, pq: w2.pq });
    const e = await rejectionOf(Session.join(mixed, { t: kp.t, pq: kp.pq }));
    expect(e).toBeInstanceOf(ValidationError);
    c1.discard();
    c2.discard();
  });
});

// ------------------------------------------------------------------ application data

describe("application data before the session is established", () => {
  it("is refused by a receiver whose session is not established", async () => {
    const f = await fixture();
    // bob's state with the "established" flag cleared (offset 7 of the session blob)
    const blob = f.bob.serialize();
    blob[7] = 0;
    const early = Session.deserialize(blob, DEFAULT_PAIR.options);
    expect(early.established).toBe(false);
    f.g.member("bob").session = early;
    const msg = await f.alice.encrypt(utf8("too early"));
    const before = await fingerprint(early);
    const e = await rejectionOf(early.process(msg));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/before the first FULL commit/);
    expect(await fingerprint(early)).toEqual(before);
    expect((await f.carol.process(msg)).kind).toBe("application");
    // the next FULL commit establishes bob's session
    await f.g.full("alice");
    expect(early.established).toBe(true);
    await f.g.chat();
  });

  it("cannot be sent before the first FULL commit", async () => {
    const lone = await Session.create(await clientFor("solo", DEFAULT_PAIR.options));
    const e = await rejectionOf(lone.encrypt(utf8("x")));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/not established/);
  });
});

// ------------------------------------------------------------------ defects found

describe("defects", () => {
  // Regression test for a defect found and fixed while writing these suites.
  it("a refused plain Remove proposal leaves no pending proposal", async () => {
    const f = await fixture();
    const { message } = await f.alice.traditional.proposeRemove(leaf(f.alice.traditional, "carol"));
    await expectRejected(f, "alice", encodeMessage(message), ValidationError, /only Update/);
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("after a refused Remove proposal the receivers can still commit and send", async () => {
    const f = await fixture();
    const { message } = await f.alice.traditional.proposeRemove(leaf(f.alice.traditional, "carol"));
    expect(await rejectionOf(f.bob.process(encodeMessage(message)))).toBeInstanceOf(
      ValidationError,
    );
    await f.bob.encrypt(utf8("still here"));
    await f.g.partial("bob");
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("a refused AppDataUpdate proposal never enters a later PARTIAL commit", async () => {
    const f = await fixture();
    for (const u of epochUpdates(100n, 100n)) {
      const { message } = await f.alice.traditional.propose(appDataUpdate(u));
      for (const m of [f.bob, f.carol])
        expect(await rejectionOf(m.process(encodeMessage(message)))).toBeInstanceOf(
          ValidationError,
        );
    }
    const c = await f.bob.partialCommit();
    expect((await f.carol.process(c.message)).kind).toBe("commit");
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("a refused pair of Remove proposals leaves no pending proposal", async () => {
    const f = await fixture();
    const pq = await f.alice.postQuantum.proposeRemove(leaf(f.alice.postQuantum, "carol"));
    const t = await f.alice.traditional.proposeRemove(leaf(f.alice.traditional, "carol"));
    const bytes = encodeMessagePair({
      wireFormat: WireFormat.mls_private_message,
      t: t.message,
      pq: pq.message,
    });
    await expectRejected(f, "alice", bytes, ValidationError);
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("a refused pair (PQ commit, T Update proposal) leaves no pending proposal", async () => {
    const f = await fixture();
    const c = await f.craft();
    const u = await f.alice.traditional.proposeUpdate();
    const pair = { wireFormat: WireFormat.mls_private_message, t: u.message, pq: c.pq };
    expect(() => encodeMessagePair(pair)).toThrow(/both halves/);
    // Written by hand, as a hostile sender would: the decoder refuses it before processing.
    const u16 = (v: number) => [v >> 8, v & 0xff];
    const bytes = new Uint8Array([
      ...u16(ProtocolVersion.mls10),
      ...u16(apqCodePoints().messagePairWireFormat),
      ...u16(WireFormat.mls_private_message),
      ...encodeMessage(u.message),
      ...encodeMessage(c.pq),
    ]);
    expect(() => decodeApqMessage(bytes)).toThrow(CodecError);
    await expectRejected(f, "alice", bytes, CodecError, /both halves/);
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("a FULL commit without an UpdatePath in the PQ group is refused", async () => {
    const f = await fixture();
    const c = await f.craft({ pqPath: false });
    expect(c.pqStaged.pathIncluded).toBe(false);
    await expectRejected(f, "alice", c.message, ValidationError);
  });

  // Regression test for a defect found and fixed while writing these suites.
  it("a PARTIAL commit dropping required_wire_formats is refused", async () => {
    const f = await fixture();
    const t = cloneGroup(f.alice.traditional);
    const exts = t.groupContext.extensions.filter(
      (e) => e.extensionType !== extType("required_wire_formats"),
    );
    const res = await t.commit({ groupContextExtensions: exts, path: true });
    await expectRejected(f, "alice", encodeMessage(res.commit), ValidationError);
  });
});
