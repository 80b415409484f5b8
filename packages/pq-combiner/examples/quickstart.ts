import { basicCredential, utf8 } from "@hpqmls/mls-core";
import { ApqSession, DEFAULT_POLICY } from "@hpqmls/pq-combiner";

export async function quickstart(): Promise<{ text: string; full: string; partial: string }> {
  // Default pair: T = 0x0001 (X25519, Ed25519), PQ = 0xF00A (ML-KEM-768, ML-DSA-65), mode 1.
  const alice = await ApqSession.newClient(basicCredential(utf8("alice")));
  const bob = await ApqSession.newClient(basicCredential(utf8("bob")));

  // Alice creates the session (PQ group first, then T group, both carrying APQInfo).
  const a = await ApqSession.create(alice);

  // Bob publishes a KeyPackage pair; Alice adds him with a FULL commit (adds are always FULL).
  const bobKeys = await ApqSession.keyPackagePair(bob);
  const add = await a.fullCommit({ add: [a.decodeKeyPackagePair(bobKeys.message)] });
  await add.merge(); // after the delivery service accepted add.message

  // Bob joins from the Welcome pair: PQ Welcome first, then T with the exported PSK.
  const b = await ApqSession.join(add.welcome!, { t: bobKeys.t, pq: bobKeys.pq });

  // A joiner's first commit is FULL; the policy engine says so too.
  const full = b.decide(DEFAULT_POLICY);
  const fullCommit = await b.fullCommit();
  await a.process(fullCommit.message);
  await fullCommit.merge();

  // Cheap traditional-only updates in between.
  const partialCommit = await a.partialCommit();
  await b.process(partialCommit.message);
  await partialCommit.merge();

  // Application messages travel in the T group only.
  const received = await a.process(await b.encrypt(utf8("hello, post-quantum world")));
  const text = received.kind === "application" ? new TextDecoder().decode(received.data) : "";
  return { text, full: full.update, partial: partialCommit.kind };
}
