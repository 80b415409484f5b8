import {
  CodecError,
  credentialCodec,
  type KeyPackageBundle,
  type KeyPair,
  keyPackageBundleCodec,
  Reader,
  Writer,
} from "@hpqmls/mls-core";
import type { ApqClient, ApqMode } from "@hpqmls/pq-combiner";

/**
 * The records an ApqMember writes to its ClientStore, as versioned binary blobs in the TLS
 * presentation language (the session blob inside is ApqSession.serialize's own format).
 *
 *   member: "HPQC" u32, version u16 = 1, name<V>, clientId<V>, service key (sk<V>, pk<V>),
 *           Credential, T and PQ signature key pairs, optional<u16> tSuite, optional<u16> pqSuite,
 *           optional<u8> mode, unused KeyPackage pairs<V> (each: T bundle, PQ bundle, as
 *           mls-core's keyPackageBundleCodec)
 *   group:  "HPQG" u32, version u16 = 1, cursor u64, session<V>
 *
 * Both decoders read untrusted bytes (a store can be corrupted) and throw only CodecError.
 */

const MEMBER_MAGIC = 0x48505143; // "HPQC"
const GROUP_MAGIC = 0x48505147; // "HPQG"
const VERSION = 1;

export interface BundlePair {
  readonly t: KeyPackageBundle;
  readonly pq: KeyPackageBundle;
}

export interface MemberRecord {
  readonly name: string;
  readonly clientId: string;
  readonly serviceKey: KeyPair;
  readonly client: ApqClient;
  readonly tSuite: number | undefined;
  readonly pqSuite: number | undefined;
  readonly mode: ApqMode | undefined;
  readonly bundles: readonly BundlePair[];
}

export interface GroupRecord {
  readonly cursor: number;
  readonly session: Uint8Array;
}

const text = new TextEncoder();
const untext = (b: Uint8Array) => new TextDecoder("utf-8", { fatal: true }).decode(b);

function keyPair(w: Writer, k: KeyPair): void {
  w.opaque(k.privateKey);
  w.opaque(k.publicKey);
}
const readKeyPair = (r: Reader): KeyPair => ({ privateKey: r.opaque(), publicKey: r.opaque() });

function header(r: Reader, magic: number, what: string): void {
  if (r.u32() !== magic) throw new CodecError(`not a stored ${what} record`);
  const v = r.u16();
  if (v !== VERSION) throw new CodecError(`stored ${what} record version ${v} is not supported`);
}

function utf8Field(r: Reader, what: string): string {
  try {
    return untext(r.opaque());
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`stored ${what} is not UTF-8`);
  }
}

export function encodeMemberRecord(m: MemberRecord): Uint8Array {
  const w = new Writer(4096);
  w.u32(MEMBER_MAGIC);
  w.u16(VERSION);
  w.opaque(text.encode(m.name));
  w.opaque(text.encode(m.clientId));
  keyPair(w, m.serviceKey);
  credentialCodec.encode(w, m.client.credential);
  keyPair(w, m.client.tSignatureKeyPair);
  keyPair(w, m.client.pqSignatureKeyPair);
  w.optional(m.tSuite, (x, v) => x.u16(v));
  w.optional(m.pqSuite, (x, v) => x.u16(v));
  w.optional(m.mode, (x, v) => x.u8(v));
  w.vector(m.bundles, (x, b) => {
    keyPackageBundleCodec.encode(x, b.t);
    keyPackageBundleCodec.encode(x, b.pq);
  });
  return w.finish();
}

export function decodeMemberRecord(bytes: Uint8Array): MemberRecord {
  const r = new Reader(bytes);
  header(r, MEMBER_MAGIC, "member");
  const name = utf8Field(r, "name");
  const clientId = utf8Field(r, "client id");
  const serviceKey = readKeyPair(r);
  const client: ApqClient = {
    credential: credentialCodec.decode(r),
    tSignatureKeyPair: readKeyPair(r),
    pqSignatureKeyPair: readKeyPair(r),
  };
  const tSuite = r.optional((x) => x.u16());
  const pqSuite = r.optional((x) => x.u16());
  const mode = r.optional((x) => x.u8());
  if (mode !== undefined && mode !== 0 && mode !== 1)
    throw new CodecError(`stored APQ mode ${mode} is not 0 or 1`);
  const bundles = r.vector((x) => ({
    t: keyPackageBundleCodec.decode(x),
    pq: keyPackageBundleCodec.decode(x),
  }));
  r.expectEnd();
  return { name, clientId, serviceKey, client, tSuite, pqSuite, mode, bundles };
}

export function encodeGroupRecord(g: GroupRecord): Uint8Array {
  const w = new Writer(g.session.length + 32);
  w.u32(GROUP_MAGIC);
  w.u16(VERSION);
  w.u64(BigInt(g.cursor));
  w.opaque(g.session);
  return w.finish();
}

export function decodeGroupRecord(bytes: Uint8Array): GroupRecord {
  const r = new Reader(bytes);
  header(r, GROUP_MAGIC, "group");
  const cursor = r.u64();
  if (cursor > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError("stored cursor is too large");
  const session = r.opaque();
  r.expectEnd();
  return { cursor: Number(cursor), session };
}
