/**
 * draft-ietf-mls-extensions §3: `supported_wire_formats` (LeafNode) and `required_wire_formats`
 * (GroupContext). Every member must support every required wire format; the default wire formats
 * of RFC 9420 (1–5) need not be listed.
 */
import { describe, expect, it } from "vitest";
import {
  type Extension,
  makeExtension,
  type Proposal,
  ProposalType,
  ValidationError,
  WireFormat,
  wireFormatsCodec,
} from "../../src/index.js";
import {
  commitAll,
  craftCommit,
  expectHealthy,
  expectRefused,
  keyPackageWithLeaf,
  kpFor,
  newClient,
  pendingOf,
  rejects,
  suite,
} from "../validation/support.js";
import { A, B, extCaps, extGroup, leafDictionary, RWF, SWF } from "./setup.js";

const X = "draft-ietf-mls-extensions §3";
const PAIR = 0x0007; // apq_message_pair (decisions.md); any non-default wire format will do
const OTHER = 0xf0f0;
const supports = (...wf: number[]): Extension => makeExtension(SWF, wireFormatsCodec, wf);
const requires = (...wf: number[]): Extension => makeExtension(RWF, wireFormatsCodec, wf);
const leaf = (...wf: number[]) => [leafDictionary([A, B]), ...(wf.length ? [supports(...wf)] : [])];

describe("§3 required_wire_formats", () => {
  const group = (carol: number[] = [PAIR]) =>
    extGroup({
      leafExtensions: (n) => leaf(...(n === "carol" ? carol : [PAIR])),
      groupContextExtensions: [requires(PAIR)],
    });

  it("admits members that support the required wire format (control)", async () => {
    const t = await group();
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: leaf(PAIR, OTHER),
    });
    const staged = await commitAll(t, "alice", { add: [kp.keyPackage] });
    expect(staged.get("carol")!.added).toEqual([3]);
  });

  it("refuses to add a member that does not list a required wire format", async () => {
    const t = await group();
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: leaf(OTHER),
    });
    await rejects(t.group("alice").commit({ add: [kp.keyPackage] }), ValidationError, X);
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, X);
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("refuses a member without any supported_wire_formats extension", async () => {
    const t = await group();
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: leaf(),
    });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    await expectRefused(t.group("bob"), c.message, ValidationError, X);
  });

  it("refuses an Update whose leaf stops supporting a required wire format", async () => {
    const t = await group();
    const p = await t.group("bob").proposeUpdate({ leafExtensions: leaf(OTHER) });
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(t.group("alice"), [
      {
        ref: p.ref,
        proposal: pendingOf(t.group("alice"), p.ref),
        sender: { senderType: 1, leafIndex: 1 },
      },
    ]);
    await expectRefused(t.group("carol"), c.message, ValidationError, X);
  });

  it("refuses a GroupContextExtensions that requires a wire format some member lacks; accepts it once all list it", async () => {
    const t = await extGroup({
      leafExtensions: (n) => leaf(...(n === "carol" ? [OTHER] : [PAIR, OTHER])),
    });
    const gce = (...wf: number[]): Proposal => ({
      proposalType: ProposalType.group_context_extensions,
      extensions: [requires(...wf)],
    });
    await rejects(t.group("alice").commit({ proposals: [gce(PAIR)] }), ValidationError, X);
    const c = await craftCommit(t.group("alice"), [{ value: gce(PAIR) }]);
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, X);
    await commitAll(t, "alice", { proposals: [gce(OTHER)] });
    expect(t.group("carol").groupContext.extensions).toEqual([requires(OTHER)]);
  });

  it("never requires the default wire formats to be listed", async () => {
    const t = await extGroup({
      groupContextExtensions: [
        requires(
          WireFormat.mls_public_message,
          WireFormat.mls_private_message,
          WireFormat.mls_welcome,
        ),
      ],
    });
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: leaf(),
    });
    const staged = await commitAll(t, "alice", { add: [kp.keyPackage] });
    expect(staged.get("bob")!.added).toEqual([3]);
  });
});

describe("§3 supported_wire_formats in a LeafNode (RFC 9420 §7.3: listed in capabilities)", () => {
  it("refuses a leaf carrying supported_wire_formats without listing the extension type", async () => {
    const t = await extGroup();
    const caps = extCaps();
    const dave = await newClient(suite, "dave");
    const base = await kpFor(dave, {
      capabilities: { ...caps, extensions: caps.extensions.filter((e) => e !== SWF) },
      leafExtensions: [leafDictionary([A, B])],
    });
    // Built by hand, since the library will not create such a KeyPackage.
    const bad = await keyPackageWithLeaf(base.keyPackage, dave.signatureKeyPair, {
      extensions: [leafDictionary([A, B]), supports(PAIR)],
    });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: bad } },
    ]);
    await expectRefused(t.group("bob"), c.message, ValidationError, "RFC9420 §7.3");
  });
});
