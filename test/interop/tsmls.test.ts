/**
 * Interoperability of @hpqmls/mls-core with ts-mls 1.6.4 (an independent RFC 9420
 * implementation), per cipher suite. Every message crosses as wire bytes (see adapters.ts).
 *
 * Naming: "ours" are @hpqmls/mls-core members, "theirs" are ts-mls members.
 *
 * ts-mls supports all five suites tested here (1, 2, 3, 5 with P-521, 7 with P-384), so no
 * suite is skipped. ts-mls faults found (details at the workarounds in adapters.ts and in the
 * "faults" tests at the end):
 *  - §5.1.1: compressed ECDSA SignaturePublicKeys from its key generation (suites 2, 5, 7);
 *    worked around by handing ts-mls an uncompressed public key (`generateKeyPackageWithKey`).
 *  - §12.4.3.2: the external_pub extension_data is the bare key rather than an ExternalPub
 *    struct (opaque<V>), both when it writes and when it reads a GroupInfo. We join its groups
 *    with a conformant GroupInfo it signs; its joins into our groups are checked with a
 *    test-only GroupInfo in its form.
 *  - §12.4: a commit covering a GroupContextExtensions proposal carries no UpdatePath.
 * API note (not a protocol fault): ts-mls's processMessage() processes PrivateMessages with an
 * empty PSK index; the adapters call processPrivateMessage() with the PSKs instead.
 */
import {
  CodecError,
  ContentType,
  CryptoError,
  utf8,
  ValidationError,
  WireFormat,
} from "@hpqmls/mls-core";
import { createCommit, defaultCapabilities, defaultLifetime, generateKeyPackage } from "ts-mls";
import { describe, expect, it } from "vitest";
import {
  broadcast,
  isCompressedPoint,
  type Joiner,
  type Member,
  OurClient,
  ourDecode,
  type SharedPsk,
  type SuitePair,
  suitePair,
  TheirClient,
  type TheirMember,
  theirDecode,
  theirEncode,
} from "./adapters.js";

const SUITES = [1, 2, 3, 5, 7] as const;

const suites = new Map<number, Promise<SuitePair>>();
function suite(id: number): Promise<SuitePair> {
  let s = suites.get(id);
  if (s === undefined) {
    s = suitePair(id);
    suites.set(id, s);
  }
  return s;
}

/** Every member is in the same epoch with the same epoch_authenticator (§8.7). */
function expectSameEpoch(members: readonly Member[]): void {
  const [first, ...rest] = members;
  for (const m of rest) {
    expect(m.epoch, `${m.name} vs ${first!.name}: epoch`).toBe(first!.epoch);
    expect(m.epochAuthenticator, `${m.name} vs ${first!.name}: epoch_authenticator`).toEqual(
      first!.epochAuthenticator,
    );
  }
}

/** `committer` commits; everyone else processes the commit; all agree on the new epoch. */
async function commitAndDeliver(
  committer: Member,
  members: readonly Member[],
  request: Parameters<Member["commit"]>[0] = {},
): Promise<Awaited<ReturnType<Member["commit"]>>> {
  const before = committer.epoch;
  const out = await committer.commit(request);
  const results = await broadcast(committer, out.commit, members);
  for (const r of results) expect(r.kind).toBe("commit");
  expect(committer.epoch).toBe(before + 1n);
  expectSameEpoch(members);
  return out;
}

/** Adds `joiner` by a commit of `adder`, the joiner joins from the Welcome. */
async function addByWelcome(
  adder: Member,
  members: Member[],
  joiner: Joiner,
  o: { ratchetTreeInWelcome: boolean; psk?: SharedPsk },
): Promise<Member> {
  const out = await commitAndDeliver(adder, members, {
    add: [joiner.keyPackage],
    ratchetTreeInWelcome: o.ratchetTreeInWelcome,
    ...(o.psk === undefined ? {} : { psk: o.psk }),
  });
  expect(out.welcome).toBeDefined();
  // Without the ratchet_tree extension the joiner gets the tree out of band (§12.4.3.3).
  const joined = await joiner.join(
    out.welcome!,
    o.ratchetTreeInWelcome ? undefined : adder.ratchetTree(),
  );
  members.push(joined);
  expectSameEpoch(members);
  return joined;
}

/** Each member sends one application message; every other member reads it. */
async function exchangeApplicationMessages(members: readonly Member[]): Promise<void> {
  for (const sender of members) {
    const text = `hello from ${sender.name} (${sender.side}) in epoch ${sender.epoch}`;
    const msg = await sender.encrypt(utf8(text));
    for (const r of await broadcast(sender, msg, members)) {
      expect(r.kind).toBe("application");
      if (r.kind === "application") expect(new TextDecoder().decode(r.data)).toBe(text);
    }
  }
}

/** §8.5: every member exports the same secret for the same label, context and length. */
async function expectSameExports(members: readonly Member[]): Promise<void> {
  for (const [label, context, length] of [
    ["interop", utf8("context"), 32],
    ["", new Uint8Array(0), 17],
    ["a longer exporter label", new Uint8Array(100).fill(9), 64],
  ] as const) {
    const out = await Promise.all(members.map((m) => m.exportSecret(label, context, length)));
    expect(out[0]!.length).toBe(length);
    for (const o of out) expect(o).toEqual(out[0]);
  }
}

const sides = (members: readonly Member[]) => members.map((m) => `${m.name}:${m.side}`).join(" ");

for (const id of SUITES) {
  describe(`ts-mls interop, cipher suite ${id}`, () => {
    for (const publicHandshake of [false, true]) {
      const wire = publicHandshake ? "PublicMessage" : "PrivateMessage";

      it(`Welcome joins each way (with and without ratchet_tree), ${wire} commits with path, application messages, exporter`, async () => {
        const s = await suite(id);
        const o = { publicHandshake };
        const alice = await (await OurClient.create(s.ours, "alice", o)).createGroup();
        const members: Member[] = [alice];

        // Ours adds theirs: ts-mls joins from our Welcome, with the ratchet_tree extension...
        const bob = await addByWelcome(
          alice,
          members,
          await (await TheirClient.create(s.theirs, "bob", o)).joiner(),
          { ratchetTreeInWelcome: true },
        );
        // ...theirs adds ours: we join from ts-mls's Welcome (with ratchet_tree)...
        await addByWelcome(
          bob,
          members,
          await (await OurClient.create(s.ours, "carol", o)).joiner(),
          {
            ratchetTreeInWelcome: true,
          },
        );
        // ...and both again without ratchet_tree, the tree passed out of band.
        const dave = await addByWelcome(
          alice,
          members,
          await (await TheirClient.create(s.theirs, "dave", o)).joiner(),
          { ratchetTreeInWelcome: false },
        );
        await addByWelcome(
          bob,
          members,
          await (await OurClient.create(s.ours, "erin", o)).joiner(),
          {
            ratchetTreeInWelcome: false,
          },
        );
        expect(sides(members)).toBe("alice:ours bob:theirs carol:ours dave:theirs erin:ours");
        expect(members.map((m) => m.leafIndex)).toEqual([0, 1, 2, 3, 4]);

        await exchangeApplicationMessages(members);

        // Commits with an UpdatePath from every member, in the configured wire format. (A ts-mls
        // commit without proposals always carries a path; ours set path: true.)
        for (const m of [...members, bob, alice, dave]) await commitAndDeliver(m, members);
        expect(alice.epoch).toBe(12n);

        await exchangeApplicationMessages(members);
        await expectSameExports(members);
      });
    }

    it("external-PSK commits each way, also in commits that add members by Welcome", async () => {
      const s = await suite(id);
      const psk: SharedPsk = {
        id: utf8(`psk for suite ${id}`),
        secret: new Uint8Array(32).fill(id),
      };
      const o = { publicHandshake: false, psks: [psk] };
      const alice = await (await OurClient.create(s.ours, "alice", o)).createGroup();
      const members: Member[] = [alice];
      const bob = await addByWelcome(
        alice,
        members,
        await (await TheirClient.create(s.theirs, "bob", o)).joiner(),
        { ratchetTreeInWelcome: true },
      );

      // A PSK commit each way (§8.4, §12.1.4); the PSK enters the key schedule of both.
      await commitAndDeliver(alice, members, { psk });
      await commitAndDeliver(bob, members, { psk });

      // A PSK in the commit that adds a member: the joiner needs it too (§12.4.3.1).
      await addByWelcome(
        alice,
        members,
        await (await TheirClient.create(s.theirs, "carol", o)).joiner(),
        {
          ratchetTreeInWelcome: true,
          psk,
        },
      );
      await addByWelcome(bob, members, await (await OurClient.create(s.ours, "dave", o)).joiner(), {
        ratchetTreeInWelcome: true,
        psk,
      });
      // And as PublicMessages.
      const pub = { publicHandshake: true, psks: [psk] };
      const erin = await (await OurClient.create(s.ours, "erin", pub)).createGroup();
      const group2: Member[] = [erin];
      const fred = await addByWelcome(
        erin,
        group2,
        await (await TheirClient.create(s.theirs, "fred", pub)).joiner(),
        { ratchetTreeInWelcome: true },
      );
      await commitAndDeliver(erin, group2, { psk });
      await commitAndDeliver(fred, group2, { psk });

      await exchangeApplicationMessages(members);
      await expectSameExports(members);
      await expectSameExports(group2);
    });

    for (const withTree of [true, false]) {
      const how = withTree ? "ratchet_tree in the GroupInfo" : "tree out of band";

      it(`we join their group by external commit (${how})`, async () => {
        const s = await suite(id);
        const o = { publicHandshake: false };
        const bob = await (await TheirClient.create(s.theirs, "bob", o)).createGroup(
          utf8(`their group, suite ${id}`),
        );
        const members: Member[] = [bob];
        await addByWelcome(
          bob,
          members,
          await (await OurClient.create(s.ours, "alice", o)).joiner(),
          {
            ratchetTreeInWelcome: true,
          },
        );
        await addByWelcome(
          bob,
          members,
          await (await TheirClient.create(s.theirs, "dave", o)).joiner(),
          {
            ratchetTreeInWelcome: true,
          },
        );
        await commitAndDeliver(bob, members);
        const carolClient = await OurClient.create(s.ours, "carol", o);
        const tree = withTree ? undefined : bob.ratchetTree();

        // ts-mls FAULT (§12.4.3.2, see TheirMember.groupInfo): the GroupInfo its API exports has
        // the bare key as external_pub extension_data, which is not an ExternalPub struct.
        const faulty = theirDecode(await bob.tsMlsGroupInfo(withTree));
        if (faulty.wireformat !== "mls_group_info") throw new Error("not a GroupInfo");
        const ext = faulty.groupInfo.extensions.find((e) => e.extensionType === "external_pub");
        expect(ext?.extensionData.length).toBe(s.ours.hpke.kem.Npk);
        // The bare key is read as an ExternalPub whose first byte is a length prefix: almost
        // always that leaves bytes over (CodecError), but when the key's first byte happens to
        // be Npk - 1 the prefix fits exactly and a short key comes out (CryptoError, §5.1.1's
        // key check). Either way the join is refused with a typed error.
        const refused = await carolClient
          .joinExternal(await bob.tsMlsGroupInfo(withTree), tree)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        const exactFit = ext?.extensionData[0] === s.ours.hpke.kem.Npk - 1;
        expect(refused).toBeInstanceOf(exactFit ? CryptoError : CodecError);

        // With a conformant GroupInfo (signed by ts-mls) we join, and ts-mls processes our
        // external commit.
        const carol = await carolClient.joinExternal(await bob.groupInfo(withTree), tree);
        const results = await broadcast(carol.member, carol.commit, members);
        for (const r of results) expect(r.kind).toBe("commit");
        members.push(carol.member);
        expectSameEpoch(members);
        expect(carol.member.leafIndex).toBe(3);

        await commitAndDeliver(carol.member, members);
        await commitAndDeliver(bob, members);
        await exchangeApplicationMessages(members);
        await expectSameExports(members);
      });

      it(`they join our group by external commit (${how})`, async () => {
        const s = await suite(id);
        const o = { publicHandshake: false };
        const alice = await (await OurClient.create(s.ours, "alice", o)).createGroup();
        const members: Member[] = [alice];
        await addByWelcome(
          alice,
          members,
          await (await TheirClient.create(s.theirs, "bob", o)).joiner(),
          {
            ratchetTreeInWelcome: true,
          },
        );
        await addByWelcome(
          alice,
          members,
          await (await OurClient.create(s.ours, "carol", o)).joiner(),
          {
            ratchetTreeInWelcome: true,
          },
        );
        await commitAndDeliver(alice, members);
        const daveClient = await TheirClient.create(s.theirs, "dave", o);
        const tree = withTree ? undefined : alice.ratchetTree();

        // ts-mls FAULT (§12.4.3.2): joinGroupExternal takes the external_pub extension_data as
        // the bare key, so it cannot use a conformant GroupInfo (it reads the length prefix as
        // part of the key).
        await expect(
          daveClient.joinExternal(await alice.groupInfo(withTree), tree),
        ).rejects.toThrow(/public key/i);

        // The rest of the external join, with a test-only GroupInfo in ts-mls's form: we process
        // the ts-mls external commit (external_init, path, new leaf) and all agree.
        const dave = await daveClient.joinExternal(
          await alice.groupInfoWithBareExternalPub(withTree),
          tree,
        );
        const results = await broadcast(dave.member, dave.commit, members);
        for (const r of results) expect(r.kind).toBe("commit");
        members.push(dave.member);
        expectSameEpoch(members);
        expect(dave.member.leafIndex).toBe(3);

        await commitAndDeliver(dave.member, members);
        await commitAndDeliver(alice, members);
        await exchangeApplicationMessages(members);
        await expectSameExports(members);
      });
    }
  });
}

/** ts-mls faults that the scenarios above work around, shown directly. */
describe("ts-mls 1.6.4 faults", () => {
  for (const id of [2, 5, 7]) {
    it(`suite ${id}: its generateKeyPackage gives a compressed ECDSA SignaturePublicKey (§5.1.1), which we reject`, async () => {
      const s = await suite(id);
      const kp = await generateKeyPackage(
        { credentialType: "basic", identity: utf8("bob") },
        defaultCapabilities(),
        defaultLifetime,
        [],
        s.theirs,
      );
      expect(isCompressedPoint(kp.publicPackage.leafNode.signaturePublicKey)).toBe(true);
      const alice = await (
        await OurClient.create(s.ours, "alice", { publicHandshake: false })
      ).createGroup();
      const keyPackage = theirEncode({
        version: "mls10",
        wireformat: "mls_key_package",
        keyPackage: kp.publicPackage,
      });
      await expect(alice.commit({ add: [keyPackage] })).rejects.toThrow(CryptoError);
      expect(alice.epoch).toBe(0n);
    });
  }

  it("suite 1: it commits a GroupContextExtensions proposal without an UpdatePath (§12.4), which we reject", async () => {
    const s = await suite(1);
    const o = { publicHandshake: true };
    const alice = await (await OurClient.create(s.ours, "alice", o)).createGroup();
    const members: Member[] = [alice];
    const bob = (await addByWelcome(
      alice,
      members,
      await (await TheirClient.create(s.theirs, "bob", o)).joiner(),
      { ratchetTreeInWelcome: true },
    )) as TheirMember;
    // §12.4: the path MAY be omitted only if no covered proposal is of a "path required"
    // type; the §17.4 registry marks group_context_extensions "Path Required: Y". ts-mls
    // (applyProposals' needsUpdatePath) only counts update and remove.
    const r = await createCommit(
      { state: bob.state, cipherSuite: s.theirs },
      {
        wireAsPublicMessage: true,
        extraProposals: [
          { proposalType: "group_context_extensions", groupContextExtensions: { extensions: [] } },
        ],
      },
    );
    const commit = ourDecode(theirEncode(r.commit));
    if (commit.wireFormat !== WireFormat.mls_public_message) throw new Error("not public");
    const content = commit.publicMessage.content;
    expect(content.contentType === ContentType.commit && content.commit.path).toBe(undefined);
    await expect(alice.receive(theirEncode(r.commit))).rejects.toThrow(ValidationError);
    expect(alice.epoch).toBe(1n);
  });
});
