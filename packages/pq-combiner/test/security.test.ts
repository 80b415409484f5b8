/**
 * The combiner's security claims, where they can be checked mechanically:
 *
 * - after a FULL commit the T epoch depends on the PQ epoch (through apq_psk): a receiver with
 *   another apq_psk cannot process the T commit, and the same T commit content under two
 *   different PQ exporters yields different T epoch secrets;
 * - the PSK id is DeriveSecret(SafeExportSecret(0x0006), "psk_id") with the T suite's KDF;
 * - a PARTIAL commit leaves APQInfo and the PQ group untouched (APQInfo's t_epoch lags);
 * - a member removed by a FULL commit cannot read the next epoch of either group;
 * - apq_exporter and apq_psk are wiped after use, and cannot be exported again.
 */
import {
  ContentType,
  CryptoError,
  deriveSecret,
  ExporterTree,
  ExtPSKType,
  type MLSMessage,
  mlsExporter,
  type PreSharedKeyID,
  ProposalType,
  stagedSafeExportSecret,
  UsageError,
  utf8,
  ValidationError,
  WireFormat,
} from "@hpqmls/mls-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ApqPskStore,
  ApqSession,
  type ApqSessionOptions,
  apqCodePoints,
  decodeApqMessage,
  deriveApqPsk,
  encodeMessagePair,
} from "../src/index.js";
import {
  appDataUpdate,
  clientFor,
  cloneGroup,
  craftFull,
  DEFAULT_PAIR,
  encodeInfo,
  encodeMessage,
  epochUpdates,
  established,
  expectAgreement,
  hex,
  idOf,
  MODE0_PAIR,
  oneApplicationPsk,
  PAIRS,
  rejectionOf,
  viewOf,
} from "./helpers.js";

/** alice, bob and carol, established (an independent copy for each test). */
const trio = (options: ApqSessionOptions) => established(["alice", "bob", "carol"], options);

const isZero = (b: Uint8Array) => b.length > 0 && b.every((x) => x === 0);

function pairOf(bytes: Uint8Array) {
  const d = decodeApqMessage(bytes);
  if (d.kind !== "pair") throw new Error("not a pair");
  return d.pair;
}

/** The PreSharedKeyIDs of a PublicMessage commit. */
function pskIdsOf(m: MLSMessage): PreSharedKeyID[] {
  if (m.wireFormat !== WireFormat.mls_public_message) throw new Error("not a PublicMessage");
  const c = m.publicMessage.content;
  if (c.contentType !== ContentType.commit) throw new Error("not a commit");
  return c.commit.proposals.flatMap((p) =>
    p.type === 1 && p.proposal.proposalType === ProposalType.psk ? [p.proposal.psk] : [],
  );
}

/** Relabels a PrivateMessage as belonging to another epoch (for "old keys" attempts). */
function relabel(m: MLSMessage, epoch: bigint): MLSMessage {
  if (m.wireFormat !== WireFormat.mls_private_message) throw new Error("not a PrivateMessage");
  return { ...m, privateMessage: { ...m.privateMessage, epoch } };
}

for (const pair of PAIRS)
  describe(`after a FULL commit the T epoch depends on the PQ epoch (${pair.label})`, () => {
    it("the same T commit content under two different PQ exporters gives different T epochs", async () => {
      const g = await trio({ ...pair.options, publicHandshakes: true });
      const alice = g.member("alice").session;
      const tSuite = alice.traditional.suite;
      const c = apqCodePoints().componentId;
      // Two different new PQ epochs (two independent PQ commits of the same epoch).
      const exporters = await Promise.all(
        [0, 1].map(async () => {
          const pq = cloneGroup(alice.postQuantum);
          const res = await pq.commit({
            proposals: epochUpdates(alice.tEpoch + 1n, alice.pqEpoch + 1n).map(appDataUpdate),
            path: true,
          });
          return stagedSafeExportSecret(res.staged, c);
        }),
      );
      expect(hex(exporters[0]!)).not.toBe(hex(exporters[1]!));
      const [p1, p2] = await Promise.all(exporters.map((e) => deriveApqPsk(tSuite, e.slice())));
      // One PreSharedKeyID (same id, same nonce) for all three T commits: only the value differs.
      const id: PreSharedKeyID = {
        psktype: ExtPSKType.application,
        componentId: c,
        pskId: p1!.pskId,
        pskNonce: tSuite.randomBytes(tSuite.kdf.Nh),
      };
      const tCommit = async (psk: Uint8Array) => {
        const t = cloneGroup(alice.traditional, oneApplicationPsk(c, p1!.pskId, psk));
        const res = await t.commit({
          psks: [id],
          proposals: epochUpdates(alice.tEpoch + 1n, alice.pqEpoch + 1n).map(appDataUpdate),
          path: false, // no fresh path secret: the PSK is the only input that differs
          publicMessage: true,
        });
        const next = res.staged.next;
        return {
          signature: hex(
            res.commit.wireFormat === WireFormat.mls_public_message
              ? res.commit.publicMessage.auth.signature
              : new Uint8Array(0),
          ),
          authenticator: hex(next.secrets.epochAuthenticator),
          exporter: hex(await mlsExporter(tSuite, next.secrets.exporterSecret, "x", utf8(""), 32)),
          senderData: hex(next.secrets.senderDataSecret),
        };
      };
      const a = await tCommit(p1!.psk);
      const again = await tCommit(p1!.psk.slice());
      const b = await tCommit(p2!.psk);
      // Same inputs, same epoch (the derivation is deterministic)...
      expect(again).toEqual(a);
      // ...the same signed content, yet another PQ exporter gives another T epoch.
      expect(b.signature).toBe(a.signature);
      expect(b.authenticator).not.toBe(a.authenticator);
      expect(b.exporter).not.toBe(a.exporter);
      expect(b.senderData).not.toBe(a.senderData);
    });

    it("a receiver that derives another apq_psk cannot process the T commit", async () => {
      const g = await trio(pair.options);
      const alice = g.member("alice").session;
      const bob = g.member("bob").session;
      const c = apqCodePoints().componentId;
      const full = await alice.fullCommit();
      const p = pairOf(full.message);
      // bob's own derivation, on copies of his groups: PQ half, then apq_psk, then T half.
      const pqStaged = await (async () => {
        const r = await cloneGroup(bob.postQuantum).process(p.pq);
        if (r.kind !== "commit") throw new Error("expected a commit");
        return r.staged;
      })();
      const right = await deriveApqPsk(
        bob.traditional.suite,
        await stagedSafeExportSecret(pqStaged, c),
      );
      const tWith = (psk: Uint8Array) =>
        cloneGroup(bob.traditional, oneApplicationPsk(c, right.pskId, psk)).process(p.t);
      // With the right apq_psk the T commit processes...
      const ok = await tWith(right.psk.slice());
      expect(ok.kind).toBe("commit");
      // ...with any other value under the same id it does not (confirmation tag).
      const tSuite = bob.traditional.suite;
      const e1 = await rejectionOf(tWith(tSuite.randomBytes(tSuite.kdf.Nh)));
      expect(e1).toBeInstanceOf(CryptoError);
      // A PQ half of another new PQ epoch gives another apq_psk_id: the PSK is not available.
      const other = await craftFull(alice);
      const swappedPq = await rejectionOf(
        bob.process(
          encodeMessagePair({
            wireFormat: p.wireFormat,
            t: p.t,
            pq: other.pq,
          }),
        ),
      );
      expect(swappedPq).toBeInstanceOf(ValidationError);
      expect((swappedPq as Error).message).toMatch(/PSK .* not available/);
      // The real pair goes through, and bob's independent derivation gave the real epoch.
      await g.deliver("alice", full);
      if (ok.kind === "commit")
        expect(hex(ok.staged.next.secrets.epochAuthenticator)).toBe(
          hex(bob.traditional.epochAuthenticator),
        );
      await expectAgreement(g.members);
    });

    it('the T commit names apq_psk_id = DeriveSecret_T(SafeExportSecret_PQ(0x0006), "psk_id")', async () => {
      const g = await trio({ ...pair.options, publicHandshakes: true });
      const alice = g.member("alice").session;
      const bob = g.member("bob").session;
      const c = apqCodePoints().componentId;
      const full = await alice.fullCommit();
      const p = pairOf(full.message);
      const r = await cloneGroup(bob.postQuantum).process(p.pq);
      if (r.kind !== "commit") throw new Error("expected a commit");
      const exporter = await stagedSafeExportSecret(r.staged, c);
      const tSuite = bob.traditional.suite;
      const pqSuite = bob.postQuantum.suite;
      // mls-core's DeriveSecret with the T suite, not the combiner's own function
      const expectedId = await deriveSecret(tSuite, exporter, "psk_id");
      const ids = pskIdsOf(p.t);
      expect(ids).toHaveLength(1);
      const id = ids[0]!;
      expect(id.psktype).toBe(ExtPSKType.application);
      if (id.psktype !== ExtPSKType.application) return;
      expect(id.componentId).toBe(0x0006);
      expect(hex(id.pskId)).toBe(hex(expectedId));
      expect(id.pskId.length).toBe(tSuite.kdf.Nh);
      expect(id.pskNonce.length).toBe(tSuite.kdf.Nh);
      expect(exporter.length).toBe(pqSuite.kdf.Nh);
      // The PQ half carries no PSK at all.
      expect(pskIdsOf(p.pq)).toEqual([]);
      await g.deliver("alice", full);
    });
  });

describe("a PARTIAL commit leaves APQInfo and the PQ group untouched", () => {
  for (const pair of PAIRS)
    it(`APQInfo is unchanged, its t_epoch lags, the PQ state is byte-identical (${pair.label})`, async () => {
      const g = await trio(pair.options);
      const before = await viewOf(g.members[0]!.session);
      const pqBlobs = g.members.map((m) => hex(m.session.postQuantum.serialize()));
      for (const [k, who] of ["bob", "carol", "alice", "bob"].entries()) {
        await g.partial(who);
        for (const [i, m] of g.members.entries()) {
          const s = m.session;
          expect(encodeInfo(s.apqInfo)).toBe(before.apqInfo);
          expect(s.apqInfo.tEpoch).toBe(before.tEpoch);
          expect(s.tEpoch).toBe(before.tEpoch + BigInt(k + 1));
          expect(s.pqEpoch).toBe(before.pqEpoch);
          // receivers' PQ groups are not touched at all
          if (m.name !== who) expect(hex(s.postQuantum.serialize())).toBe(pqBlobs[i]);
          pqBlobs[i] = hex(s.postQuantum.serialize());
        }
      }
      // The next FULL commit records both epochs again.
      await g.full("carol");
      const s = g.member("alice").session;
      expect(s.apqInfo.tEpoch).toBe(s.tEpoch);
      expect(s.apqInfo.pqEpoch).toBe(before.pqEpoch + 1n);
    });
});

describe("a member removed in a FULL commit cannot read the next epoch of either group", () => {
  for (const pair of PAIRS)
    it(`removal (${pair.label})`, async () => {
      const g = await trio(pair.options);
      const alice = g.member("alice").session;
      const carol = g.member("carol").session;
      const carolBefore = carol.serialize();
      const c = await alice.fullCommit({ remove: [idOf("carol")] });
      const p = pairOf(c.message);
      // carol's own view of the commit: removed from both groups, no new epoch for her
      const view = ApqSession.deserialize(carolBefore.slice(), pair.options);
      for (const [grp, half] of [
        [view.postQuantum, p.pq],
        [view.traditional, p.t],
      ] as const) {
        const r = await grp.process(half);
        expect(r.kind).toBe("commit");
        if (r.kind !== "commit") continue;
        expect(r.staged.selfRemoved).toBe(true);
        expect(
          await rejectionOf((async () => stagedSafeExportSecret(r.staged, 6))()),
        ).toBeInstanceOf(UsageError);
      }
      await g.deliver("alice", c);
      expect(carol.isActive).toBe(false);
      g.members.splice(
        g.members.findIndex((m) => m.name === "carol"),
        1,
      );
      await expectAgreement(g.members);

      // Messages of the new epochs: T application data and a PQ-group Update (a FULL request).
      const app = decodeApqMessage(await alice.encrypt(utf8("carol must not read this")));
      if (app.kind !== "plain") throw new Error("expected a plain message");
      const request = pairOf(await g.member("bob").session.proposeUpdate({ full: true }));
      expect(request.pq.wireFormat).toBe(WireFormat.mls_private_message);

      // the removed session refuses everything
      expect(await rejectionOf(carol.process(encodeMessage(app.message)))).toBeInstanceOf(
        UsageError,
      );
      // her last state (before the removal) has no keys for the new epochs, in either group,
      // not even when the messages are relabelled with her epoch
      const old = ApqSession.deserialize(carolBefore.slice(), pair.options);
      const attempts: [string, () => Promise<unknown>][] = [
        ["T, new epoch", () => old.traditional.process(app.message)],
        ["PQ, new epoch", () => old.postQuantum.process(request.pq)],
        ["T, relabelled", () => old.traditional.process(relabel(app.message, old.tEpoch))],
        ["PQ, relabelled", () => old.postQuantum.process(relabel(request.pq, old.pqEpoch))],
      ];
      for (const [what, attempt] of attempts) {
        const e = await rejectionOf(attempt());
        expect(
          e instanceof ValidationError || e instanceof CryptoError,
          `${what}: ${String(e)}`,
        ).toBe(true);
      }
      // ... while the remaining members read them
      for (const m of g.others("alice")) {
        const r = await m.session.process(encodeMessage(app.message));
        expect(r.kind).toBe("application");
      }
    });
});

describe("apq_exporter and apq_psk are wiped after use", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("deriveApqPsk wipes the exporter it was given", async () => {
    const suite = (await trio(DEFAULT_PAIR.options)).members[0]!.session.traditional.suite;
    const exporter = suite.randomBytes(48);
    const { pskId, psk } = await deriveApqPsk(suite, exporter);
    expect(isZero(exporter)).toBe(true);
    expect(pskId.length).toBe(suite.kdf.Nh);
    expect(psk.length).toBe(suite.kdf.Nh);
    expect(isZero(psk) || isZero(pskId)).toBe(false);
    expect(hex(psk)).not.toBe(hex(pskId));
  });

  it("ApqPskStore resolves only the armed PSK and wipes it when disarmed", async () => {
    const store = new ApqPskStore();
    const pskId = utf8("an id");
    const psk = utf8("a secret value!!");
    store.arm({ pskId, psk });
    const c = apqCodePoints().componentId;
    expect(store.application(c, pskId)).toBe(psk);
    expect(store.application(c, utf8("another id"))).toBeUndefined();
    expect(store.application(c + 1, pskId)).toBeUndefined();
    store.disarm();
    expect(isZero(psk)).toBe(true);
    expect(store.application(c, pskId)).toBeUndefined();
    // re-arming wipes the previous PSK too
    const first = { pskId, psk: utf8("first") };
    store.arm(first);
    store.arm({ pskId, psk: utf8("second") });
    expect(isZero(first.psk)).toBe(true);
  });

  for (const pair of [DEFAULT_PAIR, MODE0_PAIR])
    it(`every exporter and PSK of a FULL commit, a Welcome and its processing is zero afterwards (${pair.label})`, async () => {
      const g = await trio(pair.options);
      const exported = vi.spyOn(ExporterTree.prototype, "safeExportSecret");
      const resolved = vi.spyOn(ApqPskStore.prototype, "application");
      // a FULL commit that adds a member (Welcome pair), then the joiner's FULL commit
      await g.add("bob", ["dave"]);
      await g.full("carol");
      const exporters = await Promise.all(
        exported.mock.results.map((r) => r.value as Promise<Uint8Array>),
      );
      const psks = resolved.mock.results
        .map((r) => r.value as Uint8Array | undefined)
        .filter((x): x is Uint8Array => x !== undefined);
      // committer + 3 receivers + joiner, then committer + 3 receivers; plus the joiner's own
      expect(exporters.length).toBeGreaterThanOrEqual(9);
      expect(psks.length).toBeGreaterThanOrEqual(9);
      for (const e of exporters) expect(isZero(e)).toBe(true);
      for (const p of psks) expect(isZero(p)).toBe(true);
      await g.chat();
    });

  it("apq_exporter cannot be exported again in the same PQ epoch, even from saved state", async () => {
    const g = await trio(DEFAULT_PAIR.options);
    await g.add("alice", ["dave"], false); // dave joined by Welcome, has not committed yet
    await g.full("bob");
    for (const m of g.members)
      for (const s of [
        m.session,
        ApqSession.deserialize(m.session.serialize(), DEFAULT_PAIR.options),
      ]) {
        const e = await rejectionOf(s.postQuantum.safeExportSecret(apqCodePoints().componentId));
        expect(e).toBeInstanceOf(UsageError);
        expect((e as Error).message).toMatch(/already consumed/);
      }
  });

  it("receivers keep no apq_psk: a later T commit naming the last one is refused", async () => {
    const g = await trio({ ...DEFAULT_PAIR.options, publicHandshakes: true });
    const alice = g.member("alice").session;
    const full = await alice.fullCommit();
    const id = pskIdsOf(pairOf(full.message).t)[0]!;
    await g.deliver("alice", full);
    const c = apqCodePoints().componentId;
    const pskId = id.psktype === ExtPSKType.application ? id.pskId : new Uint8Array(0);
    const t = cloneGroup(alice.traditional, oneApplicationPsk(c, pskId, utf8("any value")));
    const res = await t.commit({
      psks: [{ ...id, pskNonce: t.suite.randomBytes(t.suite.kdf.Nh) }],
      path: true,
      publicMessage: true,
    });
    for (const m of g.others("alice")) {
      const e = await rejectionOf(m.session.process(encodeMessage(res.commit)));
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).message).toMatch(/not available/);
    }
  });
});

describe("mode 1 and mode 0", () => {
  it("mode 1 PQ groups sign with ML-DSA, mode 0 may use a classical signature", async () => {
    for (const pair of [DEFAULT_PAIR, MODE0_PAIR]) {
      const g = await trio(pair.options);
      const s = g.member("bob").session;
      const sig = s.postQuantum.suite.signature;
      const reference = await sig.generateKeyPair();
      for (const m of s.postQuantum.members())
        expect(m.signatureKey.length).toBe(reference.publicKey.length);
      // TLS SignatureScheme names and code points: ed25519 (0x0807), mldsa65 (draft-ietf-tls-mldsa)
      expect([sig.name, sig.id]).toEqual(
        pair.options.mode === 0 ? ["ed25519", 0x0807] : ["mldsa65", 0x0905],
      );
      expect(s.apqInfo.mode).toBe(pair.options.mode ?? 1);
      // the client's two signature keys are different keys of different schemes
      const client = await clientFor("bob", pair.options);
      expect(hex(client.pqSignatureKeyPair.publicKey)).not.toBe(
        hex(client.tSignatureKeyPair.publicKey),
      );
    }
  });
});
