/**
 * draft-ietf-mls-extensions §2.5–§2.7, §3 and §4.1 in real groups: the app_data_dictionary, the
 * AppDataUpdate and AppEphemeral proposals with their application hooks, the component lists of
 * §3, and AppAck. Each MUST has a positive and a negative test; negatives check the typed error,
 * the rule, and that nothing changed.
 */
import { describe, expect, it } from "vitest";
import {
  appAckProposal,
  appDataDictionary,
  appDataDictionaryExtension,
  type ComponentHandler,
  ComponentId,
  componentData,
  componentsListEntry,
  type Extension,
  ExtensionType,
  encodeSafeAAD,
  externalSendersCodec,
  MlsGroup,
  makeExtension,
  type Proposal,
  ProposalType,
  parseAppAck,
  requiredCapabilitiesCodec,
  toHex,
  UsageError,
  utf8,
  ValidationError,
} from "../../src/index.js";
import {
  commitAll,
  craftCommit,
  expectHealthy,
  expectRefused,
  externalProposal,
  kpFor,
  newClient,
  pendingOf,
  rejects,
  suite,
} from "../validation/support.js";
import {
  A,
  B,
  DICT,
  ephemeral,
  extCaps,
  extGroup,
  leafDictionary,
  P_ADU,
  removeData,
  update,
} from "./setup.js";

const X = "draft-ietf-mls-extensions";
const str = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

/** Receivers (all but `committer`) refuse `msg` with `rule`; then the group still works. */
async function refused(
  t: Awaited<ReturnType<typeof extGroup>>,
  committer: string,
  msg: Parameters<MlsGroup["process"]>[0],
  rule: string,
) {
  const others = t.members.filter((m) => m.name !== committer).map((m) => m.group);
  for (const g of others) await expectRefused(g, msg, ValidationError, rule);
  await expectHealthy(t.group(committer), others);
}

describe("§2.6 AppDataUpdate", () => {
  it("an update creates the dictionary at the end of the extensions, for every member, with no UpdatePath", async () => {
    const t = await extGroup({
      groupContextExtensions: [{ extensionType: 0xff50, extensionData: utf8("o") }],
      capabilities: () => extCaps({ extensions: [DICT, 0xff50] }),
    });
    const staged = await commitAll(t, "alice", { proposals: [update(A, "x")], path: false });
    for (const s of staged.values()) expect(s.pathIncluded).toBe(false);
    for (const g of t.groups()) {
      expect(g.groupContext.extensions.map((e) => e.extensionType)).toEqual([0xff50, DICT]);
      expect(str(g.componentData(A))).toBe("x");
    }
    expect(t.log("bob")).toEqual([`update ${A} [${toHex(utf8("x"))}]`]);
  });

  it("hands a component all its updates in commit order and keeps entries sorted by component_id", async () => {
    const t = await extGroup();
    await commitAll(t, "alice", { proposals: [update(B, "1"), update(A, "a"), update(B, "2")] });
    for (const g of t.groups()) {
      const dict = appDataDictionary(g.groupContext.extensions)!;
      expect(dict.map((e) => e.componentId)).toEqual([A, B]);
      expect(str(g.componentData(B))).toBe("12");
    }
    expect(t.log("carol")).toContain(`update ${B} [${toHex(utf8("1"))},${toHex(utf8("2"))}]`);
    // A second commit builds on the stored data.
    await commitAll(t, "bob", { proposals: [update(A, "b")] });
    expect(str(t.group("carol").componentData(A))).toBe("ab");
  });

  it("a remove deletes the component's entry", async () => {
    const t = await extGroup();
    await commitAll(t, "alice", { proposals: [update(A, "a"), update(B, "b")] });
    await commitAll(t, "bob", { proposals: [removeData(A)] });
    for (const g of t.groups()) {
      expect(g.componentData(A)).toBeUndefined();
      expect(str(g.componentData(B))).toBe("b");
    }
  });

  it("refuses the removal of a component that has no data", async () => {
    const t = await extGroup();
    const c = await craftCommit(t.group("alice"), [{ value: removeData(A) }]);
    await refused(t, "alice", c.message, `${X} §2.6`);
    await rejects(
      t.group("alice").commit({ proposals: [removeData(A)] }),
      ValidationError,
      `${X} §2.6`,
    );
  });

  it("refuses an update and a remove, or two removes, for the same component", async () => {
    const t = await extGroup();
    await commitAll(t, "alice", { proposals: [update(A, "a")] });
    for (const list of [
      [update(A, "b"), removeData(A)],
      [removeData(A), update(A, "b")],
      [removeData(A), removeData(A)],
    ]) {
      const c = await craftCommit(
        t.group("alice"),
        list.map((value) => ({ value })),
      );
      for (const n of ["bob", "carol"])
        await expectRefused(t.group(n), c.message, ValidationError, `${X} §2.6`);
    }
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });

  it("refuses an update for a component the receiving application does not know", async () => {
    const t = await extGroup({ known: (n) => (n === "carol" ? [B] : [A, B]) });
    const c = await craftCommit(t.group("alice"), [{ value: update(A, "a") }]);
    expect(c.genuine).toBe(true);
    await expectRefused(t.group("carol"), c.message, ValidationError, `${X} §2.6`);
    expect((await t.group("bob").process(c.message)).kind).toBe("commit");
  });

  it("refuses an update the component's logic rejects, and a remove it refuses", async () => {
    const t = await extGroup({ refuseRemove: true });
    await rejects(
      t.group("alice").commit({ proposals: [update(A, "bad")] }),
      ValidationError,
      `${X} §2.6`,
    );
    const c = await craftCommit(t.group("alice"), [{ value: update(A, "bad") }]);
    await refused(t, "alice", c.message, `${X} §2.6`);
    await commitAll(t, "alice", { proposals: [update(A, "ok")] });
    const r = await craftCommit(t.group("bob"), [{ value: removeData(A) }]);
    await refused(t, "bob", r.message, `${X} §2.6`);
    expect(str(t.group("carol").componentData(A))).toBe("ok");
  });

  it("refuses an update for a component whose logic takes no updates", async () => {
    const t = await extGroup({ known: () => [], extra: new Map([[A, { ephemeral: () => true }]]) });
    await rejects(
      t.group("alice").commit({ proposals: [update(A, "x")] }),
      ValidationError,
      `${X} §2.6`,
    );
    const c = await craftCommit(t.group("alice"), [{ value: update(A, "x") }]);
    await refused(t, "alice", c.message, `${X} §2.6`);
  });

  it("is processed after the default proposals: a GroupContextExtensions in the same commit comes first", async () => {
    const t = await extGroup();
    const gce: Proposal = {
      proposalType: ProposalType.group_context_extensions,
      extensions: [appDataDictionaryExtension([{ componentId: A, data: utf8("g") }])],
    };
    // The AppDataUpdate is listed first, yet it applies to the dictionary the GCE installed.
    await commitAll(t, "alice", { proposals: [update(A, "u"), gce] });
    for (const g of t.groups()) expect(str(g.componentData(A))).toBe("gu");
  });

  it("is processed after AppEphemeral proposals, whatever the list order", async () => {
    const t = await extGroup();
    await commitAll(t, "alice", {
      proposals: [update(A, "u"), ephemeral(A, "e1"), ephemeral(B, "e2")],
    });
    const log = t.log("bob");
    expect(log).toEqual([
      `ephemeral ${A} ${toHex(utf8("e1"))}`,
      `ephemeral ${B} ${toHex(utf8("e2"))}`,
      `update ${A} [${toHex(utf8("u"))}]`,
    ]);
  });

  it("may come from an external sender, and in an external commit", async () => {
    const ds = await suite.signature.generateKeyPair();
    const t = await extGroup({
      groupContextExtensions: [
        makeExtension(ExtensionType.external_senders, externalSendersCodec, [
          { signatureKey: ds.publicKey, credential: { credentialType: 1, identity: utf8("ds") } },
        ]),
      ],
    });
    const m = await externalProposal(t.group("alice"), 0, ds, update(A, "ext"));
    for (const g of t.groups()) expect((await g.process(m)).kind).toBe("proposal");
    await commitAll(t, "carol");
    expect(str(t.group("bob").componentData(A))).toBe("ext");

    const dave = await newClient(suite, "dave");
    const log: string[] = [];
    const { appendComponent } = await import("./setup.js");
    const { group, commit } = await MlsGroup.joinExternal({
      suite,
      groupInfo: await t.group("alice").groupInfo(),
      ...dave,
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
      proposals: [update(A, "+dave")],
      config: {
        components: new Map([
          [A, appendComponent(A, log)],
          [B, appendComponent(B, log)],
        ]),
      },
    });
    expect(log).toEqual([`update ${A} [${toHex(utf8("+dave"))}] external`]);
    for (const g of t.groups()) {
      const r = await g.process(commit);
      if (r.kind === "commit") await g.merge(r.staged);
      expect(str(g.componentData(A))).toBe("ext+dave");
    }
    expect(group.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
    expect(t.log("bob").at(-1)).toBe(`update ${A} [${toHex(utf8("+dave"))}] external`);
  });
});

describe("§2.6 a GroupContextExtensions proposal and the dictionary", () => {
  const requireAdu = makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
    extensionTypes: [DICT],
    proposalTypes: [P_ADU],
    credentialTypes: [],
  });
  const dict = (d: string) => appDataDictionaryExtension([{ componentId: A, data: utf8(d) }]);
  const other = (d: string): Extension => ({ extensionType: 0xff51, extensionData: utf8(d) });
  const gce = (extensions: Extension[]): Proposal => ({
    proposalType: ProposalType.group_context_extensions,
    extensions,
  });
  const groupRequiringAdu = () =>
    extGroup({
      capabilities: () => extCaps({ extensions: [DICT, 0xff51] }),
      groupContextExtensions: [requireAdu, dict("d")],
    });

  it.each([
    ["changes", [requireAdu, dict("changed")]],
    ["removes", [requireAdu]],
  ])("refuses a GCE that %s the dictionary while AppDataUpdate is required", async (_, exts) => {
    const t = await groupRequiringAdu();
    await rejects(
      t.group("alice").commit({ proposals: [gce(exts)] }),
      ValidationError,
      `${X} §2.6`,
    );
    const c = await craftCommit(t.group("alice"), [{ value: gce(exts) }]);
    await refused(t, "alice", c.message, `${X} §2.6`);
  });

  it("refuses a GCE that adds a dictionary while AppDataUpdate is required", async () => {
    const t = await extGroup({ groupContextExtensions: [requireAdu] });
    const c = await craftCommit(t.group("alice"), [{ value: gce([requireAdu, dict("new")]) }]);
    await refused(t, "alice", c.message, `${X} §2.6`);
  });

  it("accepts a GCE that changes other extensions and leaves the dictionary as it was, followed by AppDataUpdates", async () => {
    const t = await groupRequiringAdu();
    await commitAll(t, "alice", { proposals: [gce([requireAdu, dict("d"), other("o")])] });
    await commitAll(t, "bob", {
      proposals: [gce([requireAdu, dict("d"), other("p")]), update(A, "+u")],
    });
    for (const g of t.groups()) {
      expect(str(g.componentData(A))).toBe("d+u");
      expect(
        g.groupContext.extensions.find((e) => e.extensionType === 0xff51)?.extensionData,
      ).toEqual(utf8("p"));
    }
  });

  it("accepts a GCE that changes the dictionary when AppDataUpdate is not required (control)", async () => {
    const t = await extGroup({ groupContextExtensions: [dict("d")] });
    await commitAll(t, "alice", { proposals: [gce([dict("changed")])] });
    expect(str(t.group("carol").componentData(A))).toBe("changed");
  });
});

describe("§2.7 AppEphemeral", () => {
  it("hands each component its data in commit order and changes no group state", async () => {
    const t = await extGroup();
    const before = t.group("bob").groupContext.extensions;
    const staged = await commitAll(t, "alice", {
      proposals: [ephemeral(A, "1"), ephemeral(B, "x"), ephemeral(A, "2")],
      path: false,
    });
    expect(staged.get("bob")!.pathIncluded).toBe(false);
    expect(t.log("bob")).toEqual([`${A} 31`, `${B} 78`, `${A} 32`].map((s) => `ephemeral ${s}`));
    expect(t.group("bob").groupContext.extensions).toEqual(before);
  });

  it("refuses data for a component the receiving application does not know", async () => {
    const t = await extGroup({ known: (n) => (n === "carol" ? [B] : [A, B]) });
    const c = await craftCommit(t.group("alice"), [{ value: ephemeral(A, "1") }]);
    expect(c.genuine).toBe(true);
    await expectRefused(t.group("carol"), c.message, ValidationError, `${X} §2.7`);
  });

  it("refuses data the component's logic considers invalid", async () => {
    const t = await extGroup();
    await rejects(
      t.group("alice").commit({ proposals: [ephemeral(A, "bad")] }),
      ValidationError,
      `${X} §2.7`,
    );
    const c = await craftCommit(t.group("alice"), [{ value: ephemeral(A, "bad") }]);
    await refused(t, "alice", c.message, `${X} §2.7`);
  });
});

describe("§4.1 AppAck (an AppEphemeral of component app_ack)", () => {
  const ranges = [
    { sender: 1, firstGeneration: 0, lastGeneration: 4 },
    { sender: 2, firstGeneration: 7, lastGeneration: 7 },
  ];

  it("is committed and read back by the app_ack component of every member", async () => {
    const seen: string[] = [];
    const ack: ComponentHandler = {
      ephemeral(data) {
        seen.push(JSON.stringify(parseAppAck(data)));
        return true;
      },
    };
    const t = await extGroup({ extra: new Map([[ComponentId.app_ack, ack]]) });
    await commitAll(t, "alice", { proposals: [appAckProposal(ranges)] });
    expect(seen).toEqual(Array(3).fill(JSON.stringify(ranges)));
  });

  it("refuses a MessageRange that ends before it starts", () => {
    expect(() => appAckProposal([{ sender: 0, firstGeneration: 3, lastGeneration: 2 }])).toThrow(
      ValidationError,
    );
    expect(() => parseAppAck(new Uint8Array([12, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2]))).toThrow(
      ValidationError,
    );
  });

  it("is unknown (and refused) in a group whose application has no app_ack component", async () => {
    const t = await extGroup();
    const c = await craftCommit(t.group("alice"), [{ value: appAckProposal(ranges) }]);
    await refused(t, "alice", c.message, `${X} §2.7`);
  });
});

describe("§3 required components (app_components, safe_aad)", () => {
  const requiring = (list: number, ids: number[]) =>
    appDataDictionaryExtension([componentsListEntry(list as 1 | 2, ids)]);

  it("adds a member whose app_components list the required ones (GREASE values ignored)", async () => {
    const t = await extGroup({
      groupContextExtensions: [requiring(ComponentId.app_components, [A])],
    });
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([0x1a1a, A, 0x5a5a])],
    });
    const staged = await commitAll(t, "alice", { add: [kp.keyPackage] });
    expect(staged.get("bob")!.added).toEqual([3]);
  });

  it("refuses to add a member whose app_components lack a required component", async () => {
    const t = await extGroup({
      groupContextExtensions: [requiring(ComponentId.app_components, [A])],
    });
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([B])],
    });
    await rejects(t.group("alice").commit({ add: [kp.keyPackage] }), ValidationError, `${X} §3`);
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    await refused(t, "alice", c.message, `${X} §3`);
  });

  it("refuses to add a member whose safe_aad list lacks a required Safe AAD component", async () => {
    const t = await extGroup({
      groupContextExtensions: [requiring(ComponentId.safe_aad, [A])],
      leafExtensions: () => [
        appDataDictionaryExtension([
          componentsListEntry(ComponentId.app_components, [A, B]),
          componentsListEntry(ComponentId.safe_aad, [A]),
        ]),
      ],
    });
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
    });
    const c = await craftCommit(
      t.group("alice"),
      [{ value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } }],
      { authenticatedData: encodeSafeAAD([]) },
    );
    await refused(t, "alice", c.message, `${X} §3`);
  });

  it("refuses a GCE requiring a component a member does not list; accepts one all list", async () => {
    const t = await extGroup({
      leafExtensions: (n) => [leafDictionary(n === "carol" ? [A] : [A, B])],
    });
    const g = (ids: number[]): Proposal => ({
      proposalType: ProposalType.group_context_extensions,
      extensions: [requiring(ComponentId.app_components, ids)],
    });
    const c = await craftCommit(t.group("alice"), [{ value: g([A, B]) }]);
    await refused(t, "alice", c.message, `${X} §3`);
    await commitAll(t, "alice", { proposals: [g([A])] });
    expect(t.group("carol").groupContext.extensions).toHaveLength(1);
  });

  it("refuses an Update that drops a required component", async () => {
    const t = await extGroup({
      groupContextExtensions: [requiring(ComponentId.app_components, [A])],
    });
    const p = await t.group("bob").proposeUpdate({ leafExtensions: [leafDictionary([B])] });
    for (const n of ["alice", "carol"]) await t.group(n).process(p.message);
    const c = await craftCommit(t.group("alice"), [
      {
        ref: p.ref,
        proposal: pendingOf(t.group("alice"), p.ref),
        sender: { senderType: 1, leafIndex: 1 },
      },
    ]);
    await expectRefused(t.group("carol"), c.message, ValidationError, `${X} §3`);
  });
});

describe("§2.5 dictionaries as received", () => {
  it("refuses a KeyPackage leaf whose dictionary is not sorted", async () => {
    const t = await extGroup();
    const unsorted: Extension = {
      extensionType: DICT,
      extensionData: new Uint8Array([6, 0x80, 0x02, 0, 0x80, 0x01, 0]),
    };
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [unsorted],
    });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    await refused(t, "alice", c.message, `${X} §2.5`);
  });

  it("refuses a GCE installing a malformed dictionary", async () => {
    const t = await extGroup();
    const c = await craftCommit(t.group("alice"), [
      {
        value: {
          proposalType: ProposalType.group_context_extensions,
          extensions: [{ extensionType: DICT, extensionData: new Uint8Array([3, 0x80, 0x01]) }],
        },
      },
    ]);
    await refused(t, "alice", c.message, `${X} §2.5`);
  });

  it("refuses a leaf whose app_components entry is not a ComponentsList", async () => {
    const t = await extGroup();
    const bad = appDataDictionaryExtension([
      { componentId: ComponentId.app_components, data: new Uint8Array([3, 0, 1, 0]) },
    ]);
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [bad],
    });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    await refused(t, "alice", c.message, `${X} §3`);
  });

  it('places no restriction on where a component id is used (registry "Where" is the application\'s)', async () => {
    // last_resort_key_package is registered for KeyPackages; an application may still keep
    // GroupContext data under that id.
    const t = await extGroup({ known: () => [A, B, ComponentId.last_resort_key_package] });
    await commitAll(t, "alice", { proposals: [update(ComponentId.last_resort_key_package, "gc")] });
    expect(str(t.group("bob").componentData(ComponentId.last_resort_key_package))).toBe("gc");
    expect(componentData(t.group("bob").groupContext.extensions, A)).toBeUndefined();
  });

  it("the proposal APIs refuse a component id outside uint16", async () => {
    const t = await extGroup();
    await rejects(t.group("alice").safeExportSecret(0x10000), UsageError);
  });
});
