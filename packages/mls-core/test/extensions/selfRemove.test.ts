/**
 * draft-ietf-mls-extensions §4.3 SelfRemove: sent as a PublicMessage, committed only by
 * reference, treated like a Remove of its sender, never from an external sender, invalid next to
 * a Remove of the same leaf; and how a committer handles its own and others' SelfRemoves.
 */
import { describe, expect, it } from "vitest";
import {
  ContentType,
  ExtensionType,
  ExtProposalType,
  externalSendersCodec,
  type FramedContent,
  groupConfig,
  makeExtension,
  type Proposal,
  ProposalType,
  SenderType,
  signFramedContent,
  utf8,
  ValidationError,
  validateProposalList,
  WireFormat,
} from "../../src/index.js";
import {
  commitAll,
  craftCommit,
  expectHealthy,
  expectRefused,
  externalProposal,
  pendingOf,
  protect,
  rejects,
  suite,
} from "../validation/support.js";
import { extCaps, extGroup, P_ADU, P_EPH } from "./setup.js";

const X = "draft-ietf-mls-extensions §4.3";
const selfRemove: Proposal = { proposalType: ExtProposalType.self_remove };
const fromLeaf = (leafIndex: number) => ({ senderType: SenderType.member, leafIndex }) as const;

describe("§4.3 SelfRemove", () => {
  it("is sent as a PublicMessage and committed by another member, removing its sender", async () => {
    const t = await extGroup({
      names: ["alice", "bob", "carol"],
      config: { handshakeAsPublicMessage: false },
    });
    const p = await t.group("bob").proposeSelfRemove();
    expect(p.message.wireFormat).toBe(WireFormat.mls_public_message);
    for (const n of ["alice", "carol"])
      expect((await t.group(n).process(p.message)).kind).toBe("proposal");
    const res = await t.group("alice").commit();
    const rb = await t.group("bob").process(res.commit);
    if (rb.kind !== "commit") throw new Error("not a commit");
    expect(rb.staged.selfRemoved).toBe(true);
    expect(rb.staged.removed).toEqual([1]);
    await t.group("bob").merge(rb.staged);
    expect(t.group("bob").isActive).toBe(false);
    const rc = await t.group("carol").process(res.commit);
    if (rc.kind === "commit") await t.group("carol").merge(rc.staged);
    await t.group("alice").merge(res.staged);
    expect(
      t
        .group("carol")
        .members()
        .map((m) => m.leafIndex),
    ).toEqual([0, 2]);
    await expectHealthy(t.group("carol"), [t.group("alice")]);
  });

  it("the sender, committing itself, leaves its own SelfRemove out (it cannot remove itself)", async () => {
    const t = await extGroup();
    const p = await t.group("bob").proposeSelfRemove();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const staged = await commitAll(t, "bob");
    expect(staged.get("alice")!.removed).toEqual([]);
    expect(t.group("alice").members()).toHaveLength(3);
  });

  it("refuses a commit in which the committer includes its own SelfRemove", async () => {
    const t = await extGroup();
    const bob = t.group("bob");
    const p = await bob.proposeSelfRemove();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(bob, [{ ref: p.ref, proposal: selfRemove, sender: fromLeaf(1) }]);
    for (const n of ["alice", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, "RFC9420 §12.2");
    await expectHealthy(bob, [t.group("alice"), t.group("carol")]);
  });

  it("refuses a SelfRemove committed by value", async () => {
    const t = await extGroup();
    const c = await craftCommit(t.group("alice"), [{ value: selfRemove }]);
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, X);
    await rejects(t.group("alice").commit({ proposals: [selfRemove] }), ValidationError, X);
  });

  it("refuses a SelfRemove sent as a PrivateMessage", async () => {
    const t = await extGroup();
    const bob = t.group("bob");
    const s = bob.currentState;
    const content: FramedContent = {
      groupId: bob.groupId,
      epoch: bob.epoch,
      sender: fromLeaf(1),
      authenticatedData: new Uint8Array(0),
      contentType: ContentType.proposal,
      proposal: selfRemove,
    };
    const signature = await signFramedContent(
      suite,
      s.signaturePrivateKey,
      2,
      content,
      s.groupContextBytes,
    );
    const m = await protect(bob, { wireFormat: 2, content, auth: { signature } });
    for (const n of ["alice", "carol"]) await expectRefused(t.group(n), m, ValidationError, X);
  });

  it("refuses a SelfRemove from an external sender", async () => {
    const ds = await suite.signature.generateKeyPair();
    const t = await extGroup({
      groupContextExtensions: [
        makeExtension(ExtensionType.external_senders, externalSendersCodec, [
          { signatureKey: ds.publicKey, credential: { credentialType: 1, identity: utf8("ds") } },
        ]),
      ],
    });
    const m = await externalProposal(t.group("alice"), 0, ds, selfRemove);
    await expectRefused(t.group("bob"), m, ValidationError, "RFC9420 §12.1.8");
  });

  it("refuses a Remove of a leaf whose SelfRemove is committed too (the Remove is invalid), in either order", async () => {
    const t = await extGroup();
    const p = await t.group("bob").proposeSelfRemove();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const ref = { ref: p.ref, proposal: selfRemove, sender: fromLeaf(1) };
    const remove = { value: { proposalType: ProposalType.remove, removed: 1 } as Proposal };
    for (const items of [
      [ref, remove],
      [remove, ref],
    ]) {
      const c = await craftCommit(t.group("alice"), items);
      await expectRefused(t.group("carol"), c.message, ValidationError, X);
    }
    // The library's own commit keeps only one removal per leaf (the Remove wins, §12.2 SHOULD).
    const rp = await t.group("carol").proposeRemove(1);
    await t.group("alice").process(rp.message);
    const staged = await commitAll(t, "alice");
    expect(staged.get("carol")!.removed).toEqual([1]);
  });

  it("refuses two SelfRemoves of the same member in one commit", async () => {
    const t = await extGroup();
    const p1 = await t.group("bob").proposeSelfRemove();
    const p2 = await t.group("bob").proposeSelfRemove();
    for (const n of ["alice", "carol"])
      for (const p of [p1, p2]) await t.group(n).process(p.message);
    const c = await craftCommit(
      t.group("alice"),
      [p1, p2].map((p) => ({ ref: p.ref, proposal: selfRemove, sender: fromLeaf(1) })),
    );
    await expectRefused(t.group("carol"), c.message, ValidationError, X);
  });

  it("refuses a SelfRemove with an Update of the same member", async () => {
    const t = await extGroup();
    const u = await t.group("bob").proposeUpdate();
    const p = await t.group("bob").proposeSelfRemove();
    for (const n of ["alice", "carol"]) for (const m of [u, p]) await t.group(n).process(m.message);
    const c = await craftCommit(t.group("alice"), [
      { ref: u.ref, proposal: pendingOf(t.group("alice"), u.ref), sender: fromLeaf(1) },
      { ref: p.ref, proposal: selfRemove, sender: fromLeaf(1) },
    ]);
    await expectRefused(t.group("carol"), c.message, ValidationError, X);
  });

  it("requires an UpdatePath", async () => {
    const t = await extGroup();
    const p = await t.group("bob").proposeSelfRemove();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(
      t.group("alice"),
      [{ ref: p.ref, proposal: selfRemove, sender: fromLeaf(1) }],
      {
        path: false,
      },
    );
    await expectRefused(t.group("carol"), c.message, ValidationError, "RFC9420 §12.4");
  });

  it("is refused in a group that is not self-remove-capable (a member lacks the proposal type)", async () => {
    const t = await extGroup({
      capabilities: (n) => (n === "carol" ? extCaps({ proposals: [P_ADU, P_EPH] }) : extCaps()),
    });
    const p = await t.group("bob").proposeSelfRemove();
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(t.group("alice"), [
      { ref: p.ref, proposal: selfRemove, sender: fromLeaf(1) },
    ]);
    await expectRefused(t.group("carol"), c.message, ValidationError, "RFC9420 §12.2");
  });

  it("may be included by reference in an external commit, not by value (list validation)", async () => {
    const t = await extGroup();
    const ctx = {
      suite,
      config: groupConfig(),
      groupId: t.group("alice").groupId,
      version: 1,
      tree: t.group("alice").ratchetTree,
      groupContextExtensions: [],
      newEpoch: 2n,
    };
    const init = {
      proposal: {
        proposalType: ProposalType.external_init,
        kemOutput: new Uint8Array(32),
      } as Proposal,
      sender: { senderType: SenderType.new_member_commit } as const,
    };
    validateProposalList(
      [init, { proposal: selfRemove, sender: fromLeaf(1), byReference: true }],
      { kind: "external" },
      ctx,
    );
    expect(() =>
      validateProposalList(
        [init, { proposal: selfRemove, sender: fromLeaf(1) }],
        { kind: "external" },
        ctx,
      ),
    ).toThrow(ValidationError);
  });
});
