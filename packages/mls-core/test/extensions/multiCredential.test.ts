/**
 * draft-ietf-mls-extensions §4.5 multi-credentials: credential bindings signed with
 * SignWithLabel(credential key, "CredentialBindingTBS", …) over the leaf's signature key, and the
 * "Verifying a Multi-Credential" rules for `multi` and `weak-multi`, in KeyPackages, in commits
 * and in trees a joiner validates.
 */
import { describe, expect, it } from "vitest";
import {
  type Capabilities,
  type CipherSuite,
  type Credential,
  type CredentialBinding,
  CredentialType,
  concat,
  createCredentialBinding,
  defaultCapabilities,
  ExtCredentialType,
  generateKeyPackage,
  getCipherSuite,
  type IdentityProvider,
  type KeyPackageBundle,
  MlsGroup,
  ProposalType,
  utf8,
  ValidationError,
} from "../../src/index.js";
import {
  buildGroup,
  craftCommit,
  expectHealthy,
  expectRefused,
  newClient,
  rejects,
  suite,
  type TestGroup,
  welcomeOf,
} from "../validation/support.js";

const X = "draft-ietf-mls-extensions §4.5";
const MULTI = ExtCredentialType.multi;
const WEAK = ExtCredentialType.weak_multi;
const basic = (id: string): Credential => ({
  credentialType: CredentialType.basic,
  identity: utf8(id),
});

function caps(o: { credentials?: number[]; cipherSuites?: number[] } = {}): Capabilities {
  return {
    ...defaultCapabilities(suite),
    credentials: o.credentials ?? [CredentialType.basic, CredentialType.x509, MULTI, WEAK],
    ...(o.cipherSuites === undefined ? {} : { cipherSuites: o.cipherSuites }),
  };
}

async function binding(
  leafSignatureKey: Uint8Array,
  id: string,
  s: CipherSuite = suite,
): Promise<CredentialBinding> {
  return createCredentialBinding({
    suite: s,
    credential: basic(id),
    credentialKeyPair: await s.signature.generateKeyPair(),
    leafSignatureKey,
  });
}

/** A KeyPackage for a fresh client whose leaf presents `make(leafKey)` as its credential. */
async function multiKp(
  make: (leafSignatureKey: Uint8Array) => Promise<Credential>,
  capabilities: Capabilities = caps(),
): Promise<KeyPackageBundle> {
  const key = await suite.signature.generateKeyPair();
  return generateKeyPackage({
    suite,
    credential: await make(key.publicKey),
    signatureKeyPair: key,
    capabilities,
  });
}

function group(o: { carol?: Capabilities; identity?: IdentityProvider } = {}): Promise<TestGroup> {
  return buildGroup({
    names: ["alice", "bob", "carol"],
    capabilities: (n) => (n === "carol" && o.carol !== undefined ? o.carol : caps()),
    config: {
      handshakeAsPublicMessage: true,
      ...(o.identity === undefined ? {} : { identity: o.identity }),
    },
  });
}

/** The committer refuses the Add, and a commit adding it anyway is refused by every receiver. */
async function addRefused(t: TestGroup, kp: KeyPackageBundle) {
  await rejects(t.group("alice").commit({ add: [kp.keyPackage] }), ValidationError, X);
  const c = await craftCommit(t.group("alice"), [
    { value: { proposalType: ProposalType.add, keyPackage: kp.keyPackage } },
  ]);
  for (const n of ["bob", "carol"]) await expectRefused(t.group(n), c.message, ValidationError, X);
  await expectHealthy(t.group("alice"), [t.group("bob"), t.group("carol")]);
}

describe("§4.5 credential bindings", () => {
  it("signs CredentialBindingTBS{suite, credential, credential_key, signature_key} with the credential key", async () => {
    const leafKey = await suite.signature.generateKeyPair();
    const credKey = await suite.signature.generateKeyPair();
    const b = await createCredentialBinding({
      suite,
      credential: basic("a"),
      credentialKeyPair: credKey,
      leafSignatureKey: leafKey.publicKey,
    });
    // opaque<V>: one length byte below 64, two (0b01 prefix) below 16384 (RFC 9420 §2.1.2).
    const v = (x: Uint8Array) =>
      concat(
        x.length < 64
          ? new Uint8Array([x.length])
          : new Uint8Array([0x40 | (x.length >> 8), x.length & 0xff]),
        x,
      );
    const tbs = concat(
      new Uint8Array([0, suite.id, 0, 1]),
      v(utf8("a")),
      v(credKey.publicKey),
      v(leafKey.publicKey),
    );
    const signContent = concat(v(utf8("MLS 1.0 CredentialBindingTBS")), v(tbs));
    expect(await suite.signature.verify(credKey.publicKey, signContent, b.signature)).toBe(true);
    expect(b.credentialKey).toEqual(credKey.publicKey);
  });
});

describe("§4.5 multi", () => {
  it("adds a member with valid bindings; receivers and a later joiner verify them", async () => {
    const t = await group();
    const kp = await multiKp(async (k) => ({
      credentialType: MULTI,
      bindings: [await binding(k, "handle@service"), await binding(k, "employee@corp")],
    }));
    const res = await t.group("alice").commit({ add: [kp.keyPackage] });
    for (const n of ["bob", "carol"]) {
      const r = await t.group(n).process(res.commit);
      expect(r.kind).toBe("commit");
      if (r.kind === "commit") await t.group(n).merge(r.staged);
    }
    await t.group("alice").merge(res.staged);
    const dave = await MlsGroup.join({ suite, welcome: welcomeOf(res.welcome), keyPackage: kp });
    expect(dave.members()[3]!.credential.credentialType).toBe(MULTI);
    // An external joiner validates the whole tree, the multi-credential leaf included.
    const erin = await newClient(suite, "erin");
    const { group: e } = await MlsGroup.joinExternal({
      suite,
      groupInfo: await t.group("alice").groupInfo(),
      ...erin,
      capabilities: caps(),
    });
    expect(e.members()).toHaveLength(5);
  });

  it("refuses a binding whose signature is invalid", async () => {
    const t = await group();
    const kp = await multiKp(async (k) => {
      const b = await binding(k, "a");
      const signature = b.signature.slice();
      signature[0]! ^= 1;
      return { credentialType: MULTI, bindings: [await binding(k, "ok"), { ...b, signature }] };
    });
    await addRefused(t, kp);
  });

  it("refuses a binding made for another leaf's signature key", async () => {
    const t = await group();
    const other = await suite.signature.generateKeyPair();
    const kp = await multiKp(async () => ({
      credentialType: MULTI,
      bindings: [await binding(other.publicKey, "a")],
    }));
    await addRefused(t, kp);
  });

  it("refuses a binding whose credential the Authentication Service rejects", async () => {
    const identity: IdentityProvider = {
      validateCredential: (c) =>
        !(
          c.credentialType === CredentialType.basic &&
          new TextDecoder().decode(c.identity) === "evil"
        ),
    };
    const t = await group({ identity });
    const kp = await multiKp(async (k) => ({
      credentialType: MULTI,
      bindings: [await binding(k, "evil")],
    }));
    await addRefused(t, kp);
  });

  it("refuses it when a member does not support credential type multi", async () => {
    const t = await group({
      carol: caps({ credentials: [CredentialType.basic, CredentialType.x509, WEAK] }),
    });
    const kp = await multiKp(async (k) => ({
      credentialType: MULTI,
      bindings: [await binding(k, "a")],
    }));
    await addRefused(t, kp);
  });

  it("refuses a binding whose cipher suite a member does not support", async () => {
    const t = await group();
    const p256 = getCipherSuite(2);
    const kp = await multiKp(async (k) => ({
      credentialType: MULTI,
      bindings: [await binding(k, "a"), await binding(k, "b", p256)],
    }));
    await addRefused(t, kp);
  });
});

describe("§4.5 weak-multi", () => {
  it("accepts when every member supports some binding; bindings the verifier does not support are not checked", async () => {
    const t = await group();
    const kp = await multiKp(async (k) => ({
      credentialType: WEAK,
      bindings: [
        await binding(k, "a"),
        {
          cipherSuite: 0xf0f0,
          credential: basic("future"),
          credentialKey: utf8("?"),
          signature: utf8("not a signature"),
        },
      ],
    }));
    const res = await t.group("alice").commit({ add: [kp.keyPackage] });
    const r = await t.group("bob").process(res.commit);
    expect(r.kind === "commit" && r.staged.added).toEqual([3]);
    // The same bindings as a (strong) multi-credential are refused.
    const strong = await multiKp(async (k) => ({
      credentialType: MULTI,
      bindings: [
        await binding(k, "a"),
        {
          cipherSuite: 0xf0f0,
          credential: basic("future"),
          credentialKey: utf8("?"),
          signature: utf8("x"),
        },
      ],
    }));
    await addRefused(await group(), strong);
  });

  it("refuses an invalid binding that the verifier supports", async () => {
    const t = await group();
    const kp = await multiKp(async (k) => {
      const b = await binding(k, "a");
      return { credentialType: WEAK, bindings: [{ ...b, credential: basic("changed") }] };
    });
    await addRefused(t, kp);
  });

  it("refuses it when some member supports none of the bindings", async () => {
    const t = await group({
      carol: caps({
        credentials: [CredentialType.basic, CredentialType.x509, MULTI, WEAK],
        cipherSuites: [suite.id],
      }),
    });
    const p256 = getCipherSuite(2);
    const kp = await multiKp(
      async (k) => ({ credentialType: WEAK, bindings: [await binding(k, "a", p256)] }),
      caps({ cipherSuites: [suite.id, 2] }),
    );
    await addRefused(t, kp);
  });

  it("refuses it when a member does not support credential type weak-multi", async () => {
    const t = await group({
      carol: caps({ credentials: [CredentialType.basic, CredentialType.x509, MULTI] }),
    });
    const kp = await multiKp(async (k) => ({
      credentialType: WEAK,
      bindings: [await binding(k, "a")],
    }));
    await addRefused(t, kp);
  });
});
