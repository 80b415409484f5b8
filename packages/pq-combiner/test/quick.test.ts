import { basicCredential, utf8 } from "@hpqmls/mls-core";
import { describe, expect, it } from "vitest";
import { ApqSession } from "../src/index.js";

describe("APQ session smoke", () => {
  it("creates, adds, FULL and PARTIAL commits, messages", async () => {
    const alice = await ApqSession.newClient(basicCredential(utf8("alice")));
    const bob = await ApqSession.newClient(basicCredential(utf8("bob")));
    const a = await ApqSession.create(alice);
    const kp = await ApqSession.keyPackagePair(bob);
    const pending = await a.fullCommit({ add: [a.decodeKeyPackagePair(kp.message)] });
    await pending.merge();
    const b = await ApqSession.join(pending.welcome!, { t: kp.t, pq: kp.pq });
    expect(b.mustCommitFull).toBe(true);
    expect(a.tEpoch).toBe(b.tEpoch);
    const full = await b.fullCommit();
    const r = await a.process(full.message);
    await full.merge();
    expect(r.kind === "commit" && r.commitKind).toBe("full");
    expect(a.traditional.epochAuthenticator).toEqual(b.traditional.epochAuthenticator);
    expect(a.postQuantum.epochAuthenticator).toEqual(b.postQuantum.epochAuthenticator);
    const partial = await a.partialCommit();
    await b.process(partial.message);
    await partial.merge();
    const m = await b.encrypt(utf8("hello"));
    const got = await a.process(m);
    expect(got.kind === "application" && new TextDecoder().decode(got.data)).toBe("hello");
    expect(a.apqInfo.tEpoch).toBe(2n);
    expect(a.tEpoch).toBe(3n);
  });
});
