import { CryptoError, UsageError } from "../../errors.js";
import { concat, EMPTY, utf8 } from "../../util/bytes.js";
import type { Aead, Hpke, Kdf, Kem } from "../provider.js";
import type { DeterministicKem } from "./dhkem.js";
import { i2osp, LabeledKdf } from "./labeled.js";

/** The HPKE modes (RFC 9180 §5); MLS uses only the base mode. */
export const HPKE_MODE_BASE = 0x00;

/** The secrets of a base-mode key schedule (RFC 9180 §5.1). */
export interface HpkeKeySchedule {
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly exporterSecret: Uint8Array;
}

const L_PSK_ID_HASH = utf8("psk_id_hash");
const L_INFO_HASH = utf8("info_hash");
const L_SECRET = utf8("secret");
const L_KEY = utf8("key");
const L_BASE_NONCE = utf8("base_nonce");
const L_EXP = utf8("exp");
const L_SEC = utf8("sec");

/**
 * An HPKE encryption context (RFC 9180 §5.2) in base mode: one AEAD key, nonces
 * base_nonce XOR I2OSP(seq, Nn) for seq = 0, 1, …, and the exporter. A sender context only seals
 * and a receiver context only opens; both export.
 */
export class HpkeContext {
  #seq = 0;

  constructor(
    private readonly suite: HpkeSuite,
    private readonly role: "sender" | "receiver",
    private readonly schedule: HpkeKeySchedule,
  ) {}

  /** The sequence number of the next message. */
  get seq(): number {
    return this.#seq;
  }

  async seal(aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    if (this.role !== "sender") throw new UsageError("a receiver context cannot seal");
    const ct = await this.suite.aead.seal(this.schedule.key, this.#nonce(), aad, plaintext);
    this.#seq++;
    return ct;
  }

  async open(aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    if (this.role !== "receiver") throw new UsageError("a sender context cannot open");
    const pt = await this.suite.aead.open(this.schedule.key, this.#nonce(), aad, ciphertext);
    this.#seq++; // only after a successful open (RFC 9180 §5.2)
    return pt;
  }

  /** Context.Export(exporter_context, L) (RFC 9180 §5.3). */
  export(exporterContext: Uint8Array, length: number): Promise<Uint8Array> {
    return this.suite.exportSecret(this.schedule.exporterSecret, exporterContext, length);
  }

  #nonce(): Uint8Array {
    // 2^53 messages would be needed to reach this; the RFC's limit is 2^96 - 1.
    if (!Number.isSafeInteger(this.#seq + 1)) throw new CryptoError("HPKE message limit reached");
    const nonce = this.schedule.baseNonce.slice();
    const seq = i2osp(this.#seq, nonce.length);
    for (let i = 0; i < nonce.length; i++) nonce[i] = nonce[i]! ^ seq[i]!;
    return nonce;
  }
}

/**
 * HPKE (RFC 9180) in base mode over any KEM, KDF and AEAD: the key schedule of §5.1, the
 * single-shot APIs of §6.1 and the secret export of §5.3. Independent of any backend.
 */
export class HpkeSuite implements Hpke {
  readonly suiteId: Uint8Array;
  readonly #labeled: LabeledKdf;
  #pskIdHash: Promise<Uint8Array> | undefined;

  constructor(
    readonly kem: Kem,
    readonly kdf: Kdf,
    readonly aead: Aead,
  ) {
    this.suiteId = concat(utf8("HPKE"), i2osp(kem.id, 2), i2osp(kdf.id, 2), i2osp(aead.id, 2));
    this.#labeled = new LabeledKdf(kdf, this.suiteId);
  }

  /** KeySchedule(mode_base, shared_secret, info, "", "") of RFC 9180 §5.1. */
  async keySchedule(sharedSecret: Uint8Array, info: Uint8Array): Promise<HpkeKeySchedule> {
    return this.#schedule(sharedSecret, info, true, true);
  }

  async #schedule(
    sharedSecret: Uint8Array,
    info: Uint8Array,
    wantAead: boolean,
    wantExporter: boolean,
  ): Promise<HpkeKeySchedule> {
    const l = this.#labeled;
    // psk_id_hash is the same for every base-mode call; compute it once.
    this.#pskIdHash ??= l.extract(EMPTY, L_PSK_ID_HASH, EMPTY);
    const pskIdHash = await this.#pskIdHash;
    const infoHash = await l.extract(EMPTY, L_INFO_HASH, info);
    const context = concat(Uint8Array.of(HPKE_MODE_BASE), pskIdHash, infoHash);
    const secret = await l.extract(sharedSecret, L_SECRET, EMPTY);
    const key = wantAead ? await l.expand(secret, L_KEY, context, this.aead.Nk) : EMPTY;
    const baseNonce = wantAead
      ? await l.expand(secret, L_BASE_NONCE, context, this.aead.Nn)
      : EMPTY;
    const exporterSecret = wantExporter
      ? await l.expand(secret, L_EXP, context, this.kdf.Nh)
      : EMPTY;
    secret.fill(0);
    return { key, baseNonce, exporterSecret };
  }

  /** LabeledExpand(exporter_secret, "sec", exporter_context, L) (RFC 9180 §5.3). */
  exportSecret(
    exporterSecret: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    if (!Number.isInteger(length) || length < 0 || length > 255 * this.kdf.Nh)
      throw new UsageError(`HPKE export length ${length} out of range`);
    return this.#labeled.expand(exporterSecret, L_SEC, exporterContext, length);
  }

  /**
   * SetupBaseS(pkR, info) (RFC 9180 §5.1.1). With `ikmE` the encapsulation is the KEM's
   * deterministic one (`DeterministicKem.encapDeterministic`) instead of fresh, which only test
   * vectors should ask for.
   */
  async setupBaseS(
    publicKey: Uint8Array,
    info: Uint8Array,
    ikmE?: Uint8Array,
  ): Promise<{ enc: Uint8Array; context: HpkeContext }> {
    const { sharedSecret, enc } = await this.#encap(publicKey, ikmE);
    const schedule = await this.#schedule(sharedSecret, info, true, true);
    return { enc, context: new HpkeContext(this, "sender", schedule) };
  }

  /** SetupBaseR(enc, skR, info) (RFC 9180 §5.1.1); `publicKey` is pk(skR). */
  async setupBaseR(
    privateKey: Uint8Array,
    publicKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
  ): Promise<HpkeContext> {
    const sharedSecret = await this.kem.decap(enc, privateKey, publicKey);
    const schedule = await this.#schedule(sharedSecret, info, true, true);
    return new HpkeContext(this, "receiver", schedule);
  }

  async seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }> {
    const { sharedSecret, enc } = await this.kem.encap(publicKey);
    const s = await this.#schedule(sharedSecret, info, true, false);
    // seq = 0, so the nonce is base_nonce itself.
    const ciphertext = await this.aead.seal(s.key, s.baseNonce, aad, plaintext);
    return { enc, ciphertext };
  }

  async open(
    privateKey: Uint8Array,
    publicKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    const sharedSecret = await this.kem.decap(enc, privateKey, publicKey);
    const s = await this.#schedule(sharedSecret, info, true, false);
    return this.aead.open(s.key, s.baseNonce, aad, ciphertext);
  }

  async sendExport(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<{ enc: Uint8Array; secret: Uint8Array }> {
    const { sharedSecret, enc } = await this.kem.encap(publicKey);
    const s = await this.#schedule(sharedSecret, info, false, true);
    return { enc, secret: await this.exportSecret(s.exporterSecret, exporterContext, length) };
  }

  async receiveExport(
    privateKey: Uint8Array,
    publicKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    const sharedSecret = await this.kem.decap(enc, privateKey, publicKey);
    const s = await this.#schedule(sharedSecret, info, false, true);
    return this.exportSecret(s.exporterSecret, exporterContext, length);
  }

  #encap(
    publicKey: Uint8Array,
    ikmE: Uint8Array | undefined,
  ): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
    if (ikmE === undefined) return this.kem.encap(publicKey);
    const kem = this.kem as Partial<DeterministicKem>;
    if (kem.encapDeterministic === undefined)
      throw new UsageError(`KEM 0x${this.kem.id.toString(16)} has no deterministic encapsulation`);
    return kem.encapDeterministic(publicKey, ikmE);
  }
}
