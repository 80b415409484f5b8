import { type Codec, decodeBytes, encodeBytes } from "../codec/codec.js";
import type { Reader } from "../codec/reader.js";
import type { Writer } from "../codec/writer.js";
import { CodecError } from "../errors.js";
import type { KeyPackageBundle } from "../group/keyPackage.js";
import { keyPackageCodec } from "../wire/keyPackage.js";

/**
 * A KeyPackage with its private keys, as stored between its publication and the Welcome that
 * uses it: "HPKB" u32, version u16 = 1, KeyPackage, init_priv<V>, encryption_priv<V>,
 * signature_priv<V>, ref<V>. Holds private keys: store it where only the member can read.
 */
const MAGIC = 0x48504b42; // "HPKB"
const VERSION = 1;

function writeKeyPackageBundle(w: Writer, b: KeyPackageBundle): void {
  w.u32(MAGIC);
  w.u16(VERSION);
  keyPackageCodec.encode(w, b.keyPackage);
  w.opaque(b.privateKeys.initPrivateKey);
  w.opaque(b.privateKeys.encryptionPrivateKey);
  w.opaque(b.privateKeys.signaturePrivateKey);
  w.opaque(b.ref);
}

/** Reads one bundle; throws only CodecError (the bytes may come from a corrupted store). */
function readKeyPackageBundle(r: Reader): KeyPackageBundle {
  if (r.u32() !== MAGIC) throw new CodecError("not a stored KeyPackage bundle");
  const v = r.u16();
  if (v !== VERSION) throw new CodecError(`KeyPackage bundle version ${v} is not supported`);
  return {
    keyPackage: keyPackageCodec.decode(r),
    privateKeys: {
      initPrivateKey: r.opaque(),
      encryptionPrivateKey: r.opaque(),
      signaturePrivateKey: r.opaque(),
    },
    ref: r.opaque(),
  };
}

export const keyPackageBundleCodec: Codec<KeyPackageBundle> = {
  encode: writeKeyPackageBundle,
  decode: readKeyPackageBundle,
};

export function encodeKeyPackageBundle(b: KeyPackageBundle): Uint8Array {
  return encodeBytes(keyPackageBundleCodec, b, 1024);
}

export function decodeKeyPackageBundle(bytes: Uint8Array): KeyPackageBundle {
  return decodeBytes(keyPackageBundleCodec, bytes);
}
