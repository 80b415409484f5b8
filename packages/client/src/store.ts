/**
 * Where an ApqMember keeps its state between runs: its service key, signature keys, unused
 * KeyPackage private keys, and each group's session with its cursor (./memberRecord.ts has the
 * encodings). A small key-value interface so that a process can use memory or a file and a
 * browser IndexedDB (./indexedDb.ts). Values hold private keys: a store must be private to the
 * member (the browser's origin-scoped IndexedDB, a file readable by its owner only).
 *
 * Each `put` replaces one record as a whole, so a session and its cursor, written together,
 * never disagree after a crash.
 */
export interface ClientStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;
}

/** A store in memory (tests, short-lived processes). Values are copied in and out. */
export class MemoryClientStore implements ClientStore {
  readonly #map = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#map.get(key)?.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#map.set(key, value.slice());
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
