/**
 * draft-ietf-mls-extensions §4.4 last-resort KeyPackages, §4.2 content advertisement and
 * application framing, and §3.1 GREASE (component values in KeyPackages, LeafNodes and
 * GroupInfos; RFC 9420 §13.5 values in capabilities and extensions).
 */
import { describe, expect, it } from "vitest";
import {
  appDataDictionaryExtension,
  COMPONENT_GREASE_VALUES,
  CodecError,
  ComponentId,
  capabilitiesCodec,
  componentsListEntry,
  contentMediaTypes,
  contentMediaTypesEntry,
  decodeBytes,
  ExtensionType,
  encodeBytes,
  frameApplicationData,
  GREASE_VALUES,
  type GroupInfo,
  greaseCapabilities,
  greaseExtension,
  isLastResortKeyPackage,
  LEGACY_LAST_RESORT_EXTENSION,
  lastResortEntry,
  type MediaType,
  MlsGroup,
  type Proposal,
  ProposalType,
  parseApplicationData,
  signGroupInfo,
  utf8,
  ValidationError,
} from "../../src/index.js";
import {
  commitAll,
  craftCommit,
  expectHealthy,
  expectRefused,
  kpFor,
  newClient,
  rejects,
  rewriteWelcome,
  suite,
  welcomeOf,
} from "../validation/support.js";
import { A, B, DICT, extCaps, extGroup, leafDictionary } from "./setup.js";

const X = "draft-ietf-mls-extensions";

describe("§4.4 last-resort KeyPackages", () => {
  it("is marked by an empty last_resort_key_package entry that Add receivers can see", async () => {
    const t = await extGroup();
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
      extensions: [appDataDictionaryExtension([lastResortEntry()])],
    });
    expect(isLastResortKeyPackage(kp.keyPackage)).toBe(true);
    const p = await t.group("bob").proposeAdd(kp.keyPackage);
    const r = await t.group("alice").process(p.message);
    expect(
      r.kind === "proposal" &&
        r.proposal.proposalType === ProposalType.add &&
        isLastResortKeyPackage(r.proposal.keyPackage),
    ).toBe(true);
    await t.group("carol").process(p.message);
    const staged = await commitAll(t, "alice");
    expect(staged.get("carol")!.added).toEqual([3]);
  });

  it("also recognises the legacy last_resort extension (0x000A), and nothing else", async () => {
    const legacy = await kpFor(await newClient(suite, "e"), {
      capabilities: extCaps({ extensions: [DICT, LEGACY_LAST_RESORT_EXTENSION] }),
      extensions: [
        { extensionType: LEGACY_LAST_RESORT_EXTENSION, extensionData: new Uint8Array(0) },
      ],
    });
    expect(isLastResortKeyPackage(legacy.keyPackage)).toBe(true);
    const plain = await kpFor(await newClient(suite, "f"), {
      capabilities: extCaps(),
      extensions: [appDataDictionaryExtension([{ componentId: A, data: utf8("x") }])],
    });
    expect(isLastResortKeyPackage(plain.keyPackage)).toBe(false);
  });

  it("refuses a last_resort_key_package entry with data", async () => {
    const t = await extGroup();
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
      extensions: [
        appDataDictionaryExtension([
          { componentId: ComponentId.last_resort_key_package, data: utf8("?") },
        ]),
      ],
    });
    await rejects(t.group("alice").commit({ add: [kp.keyPackage] }), ValidationError, `${X} §4.4`);
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, `${X} §4.4`);
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });
});

describe("§4.2 content advertisement", () => {
  const mt = (s: string): MediaType => ({ type: utf8(s), parameters: [] });
  const types = [
    { type: utf8("text/plain"), parameters: [{ name: utf8("charset"), value: utf8("UTF-8") }] },
    mt("application/json"),
  ];

  it("frames application_data in a group that lists media types; an empty type means the first one", async () => {
    const t = await extGroup({
      groupContextExtensions: [appDataDictionaryExtension([contentMediaTypesEntry(types)])],
      leafExtensions: () => [
        appDataDictionaryExtension([
          componentsListEntry(ComponentId.app_components, [A, B, ComponentId.content_media_types]),
          contentMediaTypesEntry(types),
        ]),
      ],
    });
    const gc = t.group("bob").groupContext.extensions;
    expect(contentMediaTypes(gc)).toEqual(types);
    const m = await t
      .group("alice")
      .encrypt(frameApplicationData({ mediaType: mt(""), content: utf8("hi") }));
    const r = await t.group("bob").process(m);
    if (r.kind !== "application") throw new Error("not application data");
    expect(parseApplicationData(r.data, gc)).toEqual({ mediaType: types[0], content: utf8("hi") });
    const json = frameApplicationData({ mediaType: mt("application/json"), content: utf8("{}") });
    expect(parseApplicationData(json, gc)).toEqual({
      mediaType: mt("application/json"),
      content: utf8("{}"),
    });
    // Data that is not an ApplicationFraming is malformed in such a group.
    expect(() => parseApplicationData(utf8("raw"), gc)).toThrow(CodecError);
    // Without content_media_types in the GroupContext, application_data is not framed.
    expect(parseApplicationData(utf8("raw"), [])).toBeUndefined();
  });

  it("a MediaTypeList holds at least one media type: refused when built, in a leaf and in a GroupContext", async () => {
    expect(() => contentMediaTypesEntry([])).toThrow(ValidationError);
    const emptyList = { componentId: ComponentId.content_media_types, data: new Uint8Array([0]) };
    const t = await extGroup();
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: extCaps(),
      leafExtensions: [
        appDataDictionaryExtension([
          componentsListEntry(ComponentId.app_components, [A, B]),
          emptyList,
        ]),
      ],
    });
    const c = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
    ]);
    await expectRefused(t.group("bob"), c.message, ValidationError, `${X} §4.2`);
    const gce: Proposal = {
      proposalType: ProposalType.group_context_extensions,
      extensions: [appDataDictionaryExtension([emptyList])],
    };
    const c2 = await craftCommit(t.group("alice"), [{ value: gce }]);
    await expectRefused(t.group("carol"), c2.message, ValidationError, `${X} §4.2`);
    await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
  });
});

describe("§3.1 / RFC 9420 §13.5 GREASE", () => {
  const random = (n: number) => suite.randomBytes(n);

  it("a KeyPackage with GREASE capabilities, KeyPackage and LeafNode extensions and component values is accepted", async () => {
    const t = await extGroup();
    const caps = greaseCapabilities(extCaps(), random);
    const greaseExt = caps.extensions.find((e) => GREASE_VALUES.includes(e))!;
    const cg = COMPONENT_GREASE_VALUES;
    const kp = await kpFor(await newClient(suite, "dave"), {
      capabilities: caps,
      leafExtensions: [
        greaseExtension(random, greaseExt),
        appDataDictionaryExtension([
          componentsListEntry(ComponentId.app_components, [A, B, cg[1]!]),
          componentsListEntry(ComponentId.safe_aad, [cg[2]!]),
          { componentId: cg[3]!, data: random(5) },
        ]),
      ],
      extensions: [
        greaseExtension(random, greaseExt),
        appDataDictionaryExtension([{ componentId: cg[4]!, data: random(3) }]),
      ],
    });
    expect(caps.cipherSuites.some((x) => GREASE_VALUES.includes(x))).toBe(true);
    expect(caps.proposals.some((x) => GREASE_VALUES.includes(x))).toBe(true);
    expect(caps.credentials.some((x) => GREASE_VALUES.includes(x))).toBe(true);
    const res = await t.group("alice").commit({ add: [kp.keyPackage] });
    for (const n of ["bob", "carol"]) {
      const r = await t.group(n).process(res.commit);
      expect(r.kind === "commit" && r.staged.added).toEqual([3]);
      if (r.kind === "commit") await t.group(n).merge(r.staged);
    }
    await t.group("alice").merge(res.staged);
    // The new member, whose own leaf carries the GREASE, joins and validates the tree.
    const dave = await MlsGroup.join({ suite, welcome: welcomeOf(res.welcome), keyPackage: kp });
    expect(dave.epochAuthenticator).toEqual(t.group("bob").epochAuthenticator);
  });

  it("greaseCapabilities adds one GREASE value to every list, even when the random draws collide", () => {
    const same = (n: number) => new Uint8Array(n).fill(7);
    const caps = greaseCapabilities(extCaps(), same);
    for (const list of [caps.cipherSuites, caps.extensions, caps.proposals, caps.credentials]) {
      expect(list.every((x) => Number.isInteger(x))).toBe(true);
      expect(list.filter((x) => GREASE_VALUES.includes(x))).toEqual([GREASE_VALUES[7]]);
    }
    expect(decodeBytes(capabilitiesCodec, encodeBytes(capabilitiesCodec, caps))).toEqual(caps);
  });

  it("a joiner ignores GREASE GroupInfo extensions and GREASE dictionary entries in the GroupInfo", async () => {
    const t = await extGroup();
    const dave = await newClient(suite, "dave");
    const kp = await kpFor(dave, {
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
    });
    const res = await t.group("alice").commit({ add: [kp.keyPackage] });
    await t.group("alice").merge(res.staged);
    const [g1, g2] = COMPONENT_GREASE_VALUES;
    const w = await rewriteWelcome(welcomeOf(res.welcome), kp, t.client("alice").signatureKeyPair, {
      groupInfo: (gi: GroupInfo) => ({
        ...gi,
        extensions: [
          ...gi.extensions,
          greaseExtension(random),
          appDataDictionaryExtension([
            { componentId: g1!, data: random(4) },
            { componentId: g2!, data: new Uint8Array(0) },
          ]),
        ],
      }),
    });
    const g = await MlsGroup.join({ suite, welcome: w, keyPackage: kp });
    expect(g.epochAuthenticator).toEqual(t.group("alice").epochAuthenticator);
  });

  it("an external joiner ignores a GREASE GroupInfo extension", async () => {
    const t = await extGroup();
    const gi = await t.group("alice").groupInfo();
    const greased = await signGroupInfo(suite, t.client("alice").signatureKeyPair.privateKey, {
      ...gi,
      extensions: [...gi.extensions, greaseExtension(random)],
    });
    const { group } = await MlsGroup.joinExternal({
      suite,
      groupInfo: greased,
      ...(await newClient(suite, "erin")),
      capabilities: extCaps(),
      leafExtensions: [leafDictionary([A, B])],
    });
    expect(group.members()).toHaveLength(4);
  });

  it("GREASE values are never valid in GroupContext extensions", async () => {
    const grease = GREASE_VALUES[3]!;
    const t = await extGroup({ capabilities: () => extCaps({ extensions: [DICT, grease] }) });
    const gce: Proposal = {
      proposalType: ProposalType.group_context_extensions,
      extensions: [{ extensionType: grease, extensionData: new Uint8Array(0) }],
    };
    const c = await craftCommit(t.group("alice"), [{ value: gce }]);
    for (const n of ["bob", "carol"])
      await expectRefused(t.group(n), c.message, ValidationError, "RFC9420 §13.5");
    expect(ExtensionType.required_capabilities).toBe(3);
  });
});
