import {
  authenticatedContentCodec,
  ContentType,
  computeConfirmationTag,
  decodeBytes,
  nextConfirmedTranscriptHash,
  nextInterimTranscriptHash,
} from "@hpqmls/mls-core";
import { expectEqualBytes, expectTrue, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";

export const transcriptHashes: VectorRunner = {
  name: "transcript-hashes",
  async runCase(c) {
    const f = new Fields(c);
    const suite = vectorSuite(f.num("cipher_suite"));
    const ac = decodeBytes(authenticatedContentCodec, f.hex("authenticated_content"));
    expectTrue(
      "authenticated_content carries a commit",
      ac.content.contentType === ContentType.commit,
    );
    const confirmed = await nextConfirmedTranscriptHash(
      suite,
      f.hex("interim_transcript_hash_before"),
      ac,
    );
    expectEqualBytes(
      "confirmed_transcript_hash_after",
      confirmed,
      f.hex("confirmed_transcript_hash_after"),
    );
    const tag = await computeConfirmationTag(suite, f.hex("confirmation_key"), confirmed);
    expectEqualBytes("confirmation_tag", tag, ac.auth.confirmationTag ?? new Uint8Array());
    const interim = await nextInterimTranscriptHash(suite, confirmed, tag);
    expectEqualBytes(
      "interim_transcript_hash_after",
      interim,
      f.hex("interim_transcript_hash_after"),
    );
  },
};
