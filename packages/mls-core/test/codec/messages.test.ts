/**
 * The codec over whole MLS messages (RFC 9420 §2.1, §6): every message kind a real group produces
 * round-trips byte for byte, and malformed input — every truncation, any trailing byte, random
 * garbage, non-minimal or oversized length headers — fails with `CodecError` and nothing else.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Codec,
  CodecError,
  concat,
  decodeBytes,
  encodeBytes,
  groupInfoCodec,
  groupSecretsCodec,
  keyPackageCodec,
  leafNodeCodec,
  type MLSMessage,
  mlsMessageCodec,
  opaque,
  ProtocolVersion,
  Reader,
  ratchetTreeCodec,
  utf8,
  WireFormat,
  Writer,
  welcomeCodec,
} from "../../src/index.js";
import { buildGroup, kpFor, newClient, suite, welcomeOf } from "../validation/support.js";

async function corpus(): Promise<{ name: string; codec: Codec<unknown>; bytes: Uint8Array }[]> {
  const t = await buildGroup({ names: ["alice", "bob", "carol"] });
  const alice = t.group("alice");
  const dave = await kpFor(await newClient(suite, "dave"));
  const res = await alice.commit({ add: [dave.keyPackage], groupInfo: true });
  const app = await t.group("bob").encrypt(utf8("hello"), utf8("aad"));
  const prop = (await t.group("bob").proposeRemove(2, { publicMessage: true })).message;
  const pubCommit = (await t.group("carol").commit({ publicMessage: true, includePending: false }))
    .commit;
  const gi = await alice.groupInfo();
  const m = (x: MLSMessage) => encodeBytes(mlsMessageCodec, x);
  const c = <T>(codec: Codec<T>) => codec as Codec<unknown>;
  return [
    { name: "PrivateMessage (commit)", codec: c(mlsMessageCodec), bytes: m(res.commit) },
    { name: "PrivateMessage (application)", codec: c(mlsMessageCodec), bytes: m(app) },
    { name: "PublicMessage (proposal)", codec: c(mlsMessageCodec), bytes: m(prop) },
    { name: "PublicMessage (commit)", codec: c(mlsMessageCodec), bytes: m(pubCommit) },
    { name: "Welcome", codec: c(mlsMessageCodec), bytes: m(res.welcome!) },
    { name: "GroupInfo message", codec: c(mlsMessageCodec), bytes: m(res.groupInfo!) },
    {
      name: "KeyPackage message",
      codec: c(mlsMessageCodec),
      bytes: m({
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_key_package,
        keyPackage: dave.keyPackage,
      }),
    },
    {
      name: "KeyPackage",
      codec: c(keyPackageCodec),
      bytes: encodeBytes(keyPackageCodec, dave.keyPackage),
    },
    {
      name: "LeafNode",
      codec: c(leafNodeCodec),
      bytes: encodeBytes(leafNodeCodec, dave.keyPackage.leafNode),
    },
    { name: "GroupInfo", codec: c(groupInfoCodec), bytes: encodeBytes(groupInfoCodec, gi) },
    {
      name: "ratchet tree",
      codec: c(ratchetTreeCodec),
      bytes: encodeBytes(ratchetTreeCodec, alice.ratchetTree.toNodes()),
    },
    {
      name: "Welcome body",
      codec: c(welcomeCodec),
      bytes: encodeBytes(welcomeCodec, welcomeOf(res.welcome)),
    },
    {
      name: "GroupSecrets",
      codec: c(groupSecretsCodec),
      bytes: encodeBytes(groupSecretsCodec, {
        joinerSecret: suite.randomBytes(32),
        pathSecret: suite.randomBytes(32),
        psks: [],
      }),
    },
  ];
}

function decodeError(codec: Codec<unknown>, b: Uint8Array): unknown {
  try {
    decodeBytes(codec, b);
    return undefined;
  } catch (e) {
    return e;
  }
}

describe("real messages", async () => {
  const items = await corpus();

  it.each(items.map((i) => [i.name, i] as const))("%s round-trips byte for byte", (_, i) => {
    expect(encodeBytes(i.codec, decodeBytes(i.codec, i.bytes))).toEqual(i.bytes);
  });

  it.each(items.map((i) => [i.name, i] as const))(
    "%s: every strict prefix is a CodecError",
    (_, i) => {
      for (let n = 0; n < i.bytes.length; n++) {
        const e = decodeError(i.codec, i.bytes.subarray(0, n));
        if (!(e instanceof CodecError))
          throw new Error(`prefix of ${n}/${i.bytes.length} bytes gave ${String(e)}`);
      }
    },
  );

  it.each(items.map((i) => [i.name, i] as const))(
    "%s: any trailing byte is a CodecError",
    (_, i) => {
      for (const x of [0, 1, 0xff])
        expect(decodeError(i.codec, concat(i.bytes, new Uint8Array([x])))).toBeInstanceOf(
          CodecError,
        );
    },
  );

  it.each(items.map((i) => [i.name, i] as const))(
    "%s: single-byte corruptions decode or fail with CodecError only",
    (_, i) => {
      fc.assert(
        fc.property(fc.nat(i.bytes.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
          const b = i.bytes.slice();
          b[pos]! ^= x;
          const e = decodeError(i.codec, b);
          return e === undefined || e instanceof CodecError;
        }),
        { numRuns: 200 },
      );
    },
  );
});

describe("garbage input", () => {
  it("random bytes never decode to anything but a CodecError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const e = decodeError(mlsMessageCodec as Codec<unknown>, b);
        return e === undefined || e instanceof CodecError;
      }),
      { numRuns: 2000 },
    );
  });

  it("random bytes behind a valid MLSMessage header fail with CodecError only", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 400 }), (wf, body) => {
        const b = concat(new Uint8Array([0, 1, 0, wf]), body);
        const e = decodeError(mlsMessageCodec as Codec<unknown>, b);
        return e === undefined || e instanceof CodecError;
      }),
      { numRuns: 2000 },
    );
  });
});

describe("§2.1.2 variable-size length headers (properties)", () => {
  const enc = (v: number) => {
    const w = new Writer(4);
    w.varint(v);
    return w.finish();
  };

  it("every length encodes minimally and decodes back", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3fffffff }), (v) => {
        const b = enc(v);
        const size = v < 64 ? 1 : v < 16384 ? 2 : 4;
        const r = new Reader(b);
        return b.length === size && r.varint() === v && r.remaining === 0;
      }),
    );
  });

  it("any longer-than-needed encoding is refused", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16383 }), (v) => {
        const four = new Uint8Array([0x80 | 0, 0, v >> 8, v & 0xff]);
        const bad = [four];
        if (v < 64) bad.push(new Uint8Array([0x40, v]));
        return bad.every((b) => {
          try {
            new Reader(b).varint();
            return false;
          } catch (e) {
            return e instanceof CodecError && /non-minimal/.test(e.message);
          }
        });
      }),
    );
  });

  it("a header with the 0b11 prefix is refused, whatever follows", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0xc0, max: 0xff }),
        fc.uint8Array({ maxLength: 8 }),
        (h, rest) => {
          try {
            new Reader(concat(new Uint8Array([h]), rest)).varint();
            return false;
          } catch (e) {
            return e instanceof CodecError;
          }
        },
      ),
    );
  });

  it("an opaque<V> whose header promises more bytes than remain is refused", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        (data, extra) => {
          const full = encodeBytes(opaque, data);
          const lenHead = enc(data.length + extra);
          const b = concat(lenHead, data);
          expect(decodeBytes(opaque, full)).toEqual(data);
          try {
            decodeBytes(opaque, b);
            return false;
          } catch (e) {
            return e instanceof CodecError;
          }
        },
      ),
    );
  });

  it("the encoder refuses a vector of 2^30 bytes or more", () => {
    expect(() => enc(0x40000000)).toThrow(CodecError);
  });
});
