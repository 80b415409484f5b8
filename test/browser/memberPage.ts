/**
 * The in-browser half of test/browser/indexedDb.test.ts: an ApqMember (pq-combiner in the page)
 * whose state lives in IndexedDB, exposed as `globalThis.hpqmlsMember` for playwright.
 */
import { ApqMember, IndexedDbClientStore } from "@hpqmls/client";

let member: ApqMember | undefined;
let store: IndexedDbClientStore | undefined;

function current(): ApqMember {
  if (member === undefined) throw new Error("no member yet");
  return member;
}

const api = {
  async storeRoundTrip(): Promise<string[]> {
    const s = await IndexedDbClientStore.open("hpqmls-store-test");
    await s.put("a/1", new Uint8Array([1, 2, 3]));
    await s.put("a/2", new Uint8Array([4]));
    await s.put("b/1", new Uint8Array([5]));
    const out = [
      JSON.stringify(await s.keys("a/")),
      JSON.stringify([...((await s.get("a/1")) ?? [])]),
      String(await s.get("missing")),
    ];
    await s.delete("a/1");
    out.push(JSON.stringify(await s.keys("")));
    s.close();
    await IndexedDbClientStore.destroy("hpqmls-store-test");
    return out;
  },
  async register(name: string): Promise<string> {
    store = await IndexedDbClientStore.open(`member-${name}`);
    member = await ApqMember.register(location.origin, name, {}, undefined, store);
    return member.service.clientId;
  },
  async restore(name: string): Promise<string> {
    store = await IndexedDbClientStore.open(`member-${name}`);
    member = await ApqMember.restore(location.origin, store);
    return member.service.clientId;
  },
  publish: (n: number) => current().publishKeyPackages(n),
  createGroup: () => current().createGroup(),
  add: (groupId: string, name: string) => current().add(groupId, name),
  acceptWelcomes: () => current().acceptWelcomes(),
  send: (groupId: string, text: string) => current().send(groupId, text),
  async sync(groupId: string): Promise<string[]> {
    return (await current().sync(groupId)).map((m) => `${m.sender}: ${m.text}`);
  },
  groupIds: () => current().groupIds(),
};

declare global {
  var hpqmlsMember: typeof api;
  var location: { origin: string };
}
globalThis.hpqmlsMember = api;
