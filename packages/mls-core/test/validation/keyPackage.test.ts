/**
 * RFC 9420 §10.1 KeyPackage validation (with the §7.3 leaf checks it includes): directly through
 * `validateKeyPackage`, and end to end — the committer refuses to add an invalid KeyPackage, and a
 * receiver refuses a commit that adds one, without changing state.
 */
import { describe, expect, it } from "vitest";
import {
  acceptAllIdentities,
  basicCredential,
  type Capabilities,
  CredentialType,
  CryptoError,
  decodeBytes,
  defaultCapabilities,
  ExtensionType,
  encodeBytes,
  extType,
  GREASE_VALUES,
  generateKeyPackage,
  greaseCapabilities,
  greaseExtension,
  type KeyPackage,
  type KeyPackageCheck,
  type MLSMessage,
  makeExtension,
  mlsMessageCodec,
  ProposalType,
  ProtocolVersion,
  requiredCapabilitiesCodec,
  summarizeCredentialTypes,
  UsageError,
  utf8,
  ValidationError,
  validateKeyPackage,
  WireFormat,
  wireFormatsCodec,
} from "../../src/index.js";
import {
  buildGroup,
  craftCommit,
  expectHealthy,
  expectRefused,
  keyPackageWithLeaf,
  kpFor,
  leafCore,
  newClient,
  rejects,
  resignKeyPackage,
  signLeaf,
  suite,
  type TestClient,
} from "./support.js";

const NOW = BigInt(Math.floor(Date.now() / 1000));
const check: KeyPackageCheck = {
  suite,
  version: ProtocolVersion.mls10,
  groupContextExtensions: [],
  identity: acceptAllIdentities,
  now: NOW,
  maxLifetime: 90n * 24n * 3600n,
};

async function fresh(
  o: Parameters<typeof kpFor>[1] = {},
): Promise<{ kp: KeyPackage; c: TestClient }> {
  const c = await newClient(suite, "dave");
  return { kp: (await kpFor(c, o)).keyPackage, c };
}

describe("§10.1 validateKeyPackage", () => {
  it("accepts a fresh KeyPackage (control)", async () => {
    const { kp } = await fresh();
    await validateKeyPackage(kp, check);
  });

  it("refuses a KeyPackage for another cipher suite", async () => {
    const { kp, c } = await fresh();
    const other = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, { cipherSuite: 3 });
    await rejects(validateKeyPackage(other, check), ValidationError, "RFC9420 §10.1");
  });

  it("refuses a KeyPackage for another protocol version", async () => {
    const { kp, c } = await fresh();
    const other = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, { version: 2 });
    await rejects(validateKeyPackage(other, check), ValidationError, "RFC9420 §10.1");
  });

  it("refuses an invalid KeyPackage signature, and one by another key", async () => {
    const { kp } = await fresh();
    const sig = kp.signature.slice();
    sig[sig.length - 1]! ^= 1;
    await rejects(validateKeyPackage({ ...kp, signature: sig }, check), CryptoError);
    const mallory = await suite.signature.generateKeyPair();
    await rejects(
      validateKeyPackage(await resignKeyPackage(kp, mallory.privateKey), check),
      CryptoError,
    );
  });

  it("refuses a KeyPackage whose fields changed after signing", async () => {
    const { kp } = await fresh();
    const initKey = (await suite.hpke.kem.generateKeyPair()).publicKey;
    await rejects(validateKeyPackage({ ...kp, initKey }, check), CryptoError);
  });

  it("refuses a leaf with an invalid signature (§7.3)", async () => {
    const { kp, c } = await fresh();
    const signature = kp.leafNode.signature.slice();
    signature[0]! ^= 1;
    const bad = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, {
      leafNode: { ...kp.leafNode, signature },
    });
    await rejects(validateKeyPackage(bad, check), CryptoError);
  });

  it("refuses init_key equal to the leaf's encryption_key", async () => {
    const { kp, c } = await fresh();
    const bad = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, {
      initKey: kp.leafNode.encryptionKey,
    });
    await rejects(validateKeyPackage(bad, check), ValidationError, "RFC9420 §10.1");
  });

  it.each([
    ["update", 2],
    ["commit", 3],
  ])("refuses a leaf with leaf_node_source %s (§7.3)", async (_, source) => {
    const { kp, c } = await fresh();
    const leafNode = await signLeaf(
      c.signatureKeyPair.privateKey,
      { ...leafCore(kp.leafNode), leafNodeSource: source, parentHash: new Uint8Array(0) } as never,
      { groupId: utf8("g"), leafIndex: 1 },
    );
    const bad = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, { leafNode });
    await rejects(validateKeyPackage(bad, check), ValidationError, "RFC9420 §7.3");
  });

  it("refuses a lifetime that has ended or not begun (§7.3)", async () => {
    const { kp } = await fresh();
    const { notBefore, notAfter } = (
      kp.leafNode as { lifetime: { notBefore: bigint; notAfter: bigint } }
    ).lifetime;
    await rejects(
      validateKeyPackage(kp, { ...check, now: notAfter + 1n }),
      ValidationError,
      "RFC9420 §7.3",
    );
    await rejects(
      validateKeyPackage(kp, { ...check, now: notBefore - 1n }),
      ValidationError,
      "RFC9420 §7.3",
    );
    await validateKeyPackage(kp, { ...check, now: notAfter });
    await validateKeyPackage(kp, { ...check, now: notBefore });
  });

  it("refuses a lifetime longer than the maximum, or inverted (§7.2)", async () => {
    const { kp, c } = await fresh();
    const long = await keyPackageWithLeaf(kp, c.signatureKeyPair, {
      lifetime: { notBefore: NOW - 10n, notAfter: NOW + 365n * 24n * 3600n },
    } as never);
    await rejects(validateKeyPackage(long, check), ValidationError, "RFC9420 §7.2");
    const inverted = await keyPackageWithLeaf(kp, c.signatureKeyPair, {
      lifetime: { notBefore: NOW + 10n, notAfter: NOW - 10n },
    } as never);
    await rejects(
      validateKeyPackage(inverted, { ...check, now: undefined as never }),
      ValidationError,
      "RFC9420 §7.2",
    );
  });

  it("refuses a leaf extension that its capabilities do not list (§7.3)", async () => {
    const { kp, c } = await fresh();
    const bad = await keyPackageWithLeaf(kp, c.signatureKeyPair, {
      extensions: [{ extensionType: 0xff40, extensionData: utf8("x") }],
    });
    await rejects(validateKeyPackage(bad, check), ValidationError, "RFC9420 §7.3");
  });

  it("refuses two leaf extensions of the same type (§13.4)", async () => {
    const { kp, c } = await fresh();
    const ext = { extensionType: 0xff40, extensionData: utf8("x") };
    const bad = await keyPackageWithLeaf(kp, c.signatureKeyPair, {
      capabilities: { ...kp.leafNode.capabilities, extensions: [0xff40] },
      extensions: [ext, ext],
    });
    await rejects(validateKeyPackage(bad, check), ValidationError, "RFC9420 §13.4");
  });

  it("refuses capabilities that omit the leaf's own credential type (§7.3)", async () => {
    const { kp, c } = await fresh();
    const bad = await keyPackageWithLeaf(kp, c.signatureKeyPair, {
      capabilities: { ...kp.leafNode.capabilities, credentials: [CredentialType.x509] },
    });
    await rejects(validateKeyPackage(bad, check), ValidationError, "RFC9420 §7.3");
  });

  it("refuses a leaf lacking a capability in required_capabilities (§7.3)", async () => {
    const { kp } = await fresh();
    for (const req of [
      { extensionTypes: [0xff41], proposalTypes: [], credentialTypes: [] },
      { extensionTypes: [], proposalTypes: [0xff42], credentialTypes: [] },
      { extensionTypes: [], proposalTypes: [], credentialTypes: [0xff43] },
    ])
      await rejects(
        validateKeyPackage(kp, {
          ...check,
          groupContextExtensions: [
            makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, req),
          ],
        }),
        ValidationError,
        "RFC9420 §7.3",
      );
    // Default extension and proposal types need not be listed (§7.2).
    await validateKeyPackage(kp, {
      ...check,
      groupContextExtensions: [
        makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
          extensionTypes: [ExtensionType.external_senders],
          proposalTypes: [ProposalType.group_context_extensions],
          credentialTypes: [CredentialType.basic],
        }),
      ],
    });
  });

  it("refuses a credential type the group's members do not all support, or one missing a type in use (§7.3)", async () => {
    const { kp } = await fresh();
    const basicOnly = await fresh({
      capabilities: { ...defaultCapabilities(suite), credentials: [CredentialType.basic] },
    });
    // The members support only basic; the new leaf presents x509.
    const x509Client = await newClient(suite, "x");
    const x509 = (
      await generateKeyPackage({
        suite,
        credential: { credentialType: CredentialType.x509, certificates: [utf8("cert")] },
        signatureKeyPair: x509Client.signatureKeyPair,
      })
    ).keyPackage;
    await rejects(
      validateKeyPackage(x509, {
        ...check,
        credentialTypes: summarizeCredentialTypes([basicOnly.kp.leafNode]),
      }),
      ValidationError,
      "RFC9420 §7.3",
    );
    // A member uses x509; the new leaf does not support it.
    await rejects(
      validateKeyPackage(basicOnly.kp, {
        ...check,
        credentialTypes: summarizeCredentialTypes([x509.leafNode]),
      }),
      ValidationError,
      "RFC9420 §7.3",
    );
    await validateKeyPackage(kp, {
      ...check,
      credentialTypes: summarizeCredentialTypes([x509.leafNode]),
    });
  });

  it("refuses a credential the Authentication Service rejects (§5.3.1)", async () => {
    const { kp } = await fresh();
    await rejects(
      validateKeyPackage(kp, { ...check, identity: { validateCredential: () => false } }),
      ValidationError,
      "RFC9420 §5.3.1",
    );
  });

  it("refuses a leaf without a wire format the group requires (extensions §3)", async () => {
    const required = [makeExtension(extType("required_wire_formats"), wireFormatsCodec, [0xf077])];
    const caps: Capabilities = {
      ...defaultCapabilities(suite),
      extensions: [extType("supported_wire_formats")],
    };
    const without = await fresh({ capabilities: caps });
    await rejects(
      validateKeyPackage(without.kp, { ...check, groupContextExtensions: required }),
      ValidationError,
      "draft-ietf-mls-extensions §3",
    );
    const able = await fresh({
      capabilities: caps,
      leafExtensions: [
        makeExtension(extType("supported_wire_formats"), wireFormatsCodec, [0xf077]),
      ],
    });
    await validateKeyPackage(able.kp, { ...check, groupContextExtensions: required });
  });

  it("ignores unknown KeyPackage extensions and GREASE values (§13.4, §13.5)", async () => {
    const c = await newClient(suite, "g");
    const random = (n: number) => suite.randomBytes(n);
    const caps = greaseCapabilities(defaultCapabilities(suite), random);
    const greaseExt = caps.extensions.find((e) => GREASE_VALUES.includes(e))!;
    const kp = (
      await generateKeyPackage({
        suite,
        credential: c.credential,
        signatureKeyPair: c.signatureKeyPair,
        capabilities: caps,
        leafExtensions: [greaseExtension(random, greaseExt)],
        extensions: [greaseExtension(random, greaseExt)],
      })
    ).keyPackage;
    await validateKeyPackage(kp, check);
    // An unknown KeyPackage extension (unlisted in capabilities) is ignored by receivers...
    const withUnknown = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, {
      extensions: [{ extensionType: 0xff44, extensionData: utf8("?") }],
    });
    await validateKeyPackage(withUnknown, check);
    // ...but this library will not create one (§10: creators list their extensions).
    await rejects(
      generateKeyPackage({
        suite,
        credential: c.credential,
        signatureKeyPair: c.signatureKeyPair,
        extensions: [{ extensionType: 0xff44, extensionData: utf8("?") }],
      }),
      UsageError,
    );
  });
});

describe("§10.1 in a group: invalid KeyPackages in Add proposals", () => {
  it.each([
    ["init_key = encryption_key", "RFC9420 §10.1"],
    ["version 2 inside an MLS 1.0 MLSMessage", "RFC9420 §10.1"],
    ["an expired lifetime", "RFC9420 §7.3"],
  ])(
    "the committer refuses, and receivers refuse a commit adding a KeyPackage with %s",
    async (what, rule) => {
      const t = await buildGroup({
        names: ["alice", "bob", "carol"],
        config: { handshakeAsPublicMessage: true },
      });
      const { kp, c } = await fresh();
      let bad: KeyPackage;
      if (what.startsWith("init_key"))
        bad = await resignKeyPackage(kp, c.signatureKeyPair.privateKey, {
          initKey: kp.leafNode.encryptionKey,
        });
      else if (what.startsWith("version")) {
        // A client receiving a KeyPackage in an MLSMessage checks the versions agree (§10).
        const msg: MLSMessage = {
          version: ProtocolVersion.mls10,
          wireFormat: WireFormat.mls_key_package,
          keyPackage: await resignKeyPackage(kp, c.signatureKeyPair.privateKey, { version: 2 }),
        };
        const received = decodeBytes(mlsMessageCodec, encodeBytes(mlsMessageCodec, msg));
        bad = (received as { keyPackage: KeyPackage }).keyPackage;
      } else
        bad = await keyPackageWithLeaf(kp, c.signatureKeyPair, {
          lifetime: { notBefore: NOW - 7200n, notAfter: NOW - 3600n },
        } as never);
      await rejects(t.group("alice").commit({ add: [bad] }), ValidationError, rule);
      const crafted = await craftCommit(t.group("alice"), [
        { value: { proposalType: ProposalType.add, keyPackage: bad } },
      ]);
      for (const n of ["bob", "carol"])
        await expectRefused(t.group(n), crafted.message, ValidationError, rule);
      await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
    },
  );

  it("§13.4: refuses adding a member that does not support a GroupContext extension", async () => {
    const caps = { ...defaultCapabilities(suite), extensions: [0xff45] };
    const t = await buildGroup({
      names: ["alice", "bob"],
      capabilities: () => caps,
      groupContextExtensions: [{ extensionType: 0xff45, extensionData: utf8("x") }],
      config: { handshakeAsPublicMessage: true },
    });
    const { kp } = await fresh();
    await rejects(t.group("alice").commit({ add: [kp] }), ValidationError, "RFC9420 §13.4");
    const crafted = await craftCommit(t.group("alice"), [
      { value: { proposalType: ProposalType.add, keyPackage: kp } },
    ]);
    await expectRefused(t.group("bob"), crafted.message, ValidationError, "RFC9420 §13.4");
    const able = await fresh({ capabilities: caps });
    const ok = await t.group("alice").commit({ add: [able.kp] });
    expect((await t.group("bob").process(ok.commit)).kind).toBe("commit");
  });

  it("a basic credential KeyPackage round-trips through MLSMessage unchanged (control)", async () => {
    const { kp } = await fresh();
    const bytes = encodeBytes(mlsMessageCodec, {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mls_key_package,
      keyPackage: kp,
    });
    const back = decodeBytes(mlsMessageCodec, bytes) as { keyPackage: KeyPackage };
    await validateKeyPackage(back.keyPackage, check);
    expect(back.keyPackage.leafNode.credential).toEqual(basicCredential(utf8("dave")));
  });
});
