import type { ClientStore } from "./store.js";

/**
 * A ClientStore on IndexedDB, for members that run in a browser page: one object store of
 * `Uint8Array` values under string keys, in a database private to the page's origin. Each call
 * is one transaction, so a record is replaced whole or not at all.
 */

/** The slice of the IndexedDB API used here (typed locally: no DOM types needed to build). */
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAllKeys(range?: unknown): IdbRequest<unknown[]>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: "readonly" | "readwrite"): IdbTransaction;
  close(): void;
}
interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
  deleteDatabase(name: string): IdbRequest<unknown>;
}
interface IdbKeyRangeStatic {
  bound(lower: string, upper: string, lowerOpen?: boolean, upperOpen?: boolean): unknown;
}

const STORE = "records";

function request<T>(r: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

function factory(): { idb: IdbFactory; range: IdbKeyRangeStatic } {
  const g = globalThis as { indexedDB?: IdbFactory; IDBKeyRange?: IdbKeyRangeStatic };
  if (g.indexedDB === undefined || g.IDBKeyRange === undefined)
    throw new Error("IndexedDB is not available here (a browser page is needed)");
  return { idb: g.indexedDB, range: g.IDBKeyRange };
}

export class IndexedDbClientStore implements ClientStore {
  private constructor(
    private readonly db: IdbDatabase,
    private readonly range: IdbKeyRangeStatic,
  ) {}

  /** Opens (creating if needed) the database `name`; one per member in a page. */
  static async open(name = "hpqmls-client"): Promise<IndexedDbClientStore> {
    const { idb, range } = factory();
    const req = idb.open(name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onblocked = () => {};
    return new IndexedDbClientStore(await request(req), range);
  }

  /** Deletes the database `name` and everything in it. */
  static async destroy(name = "hpqmls-client"): Promise<void> {
    await request(factory().idb.deleteDatabase(name));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const tx = this.db.transaction(STORE, "readonly");
    const v = await request(tx.objectStore(STORE).get(key));
    return v instanceof Uint8Array ? v : undefined;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(value.slice(), key);
    await done(tx);
  }

  async delete(key: string): Promise<void> {
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).delete(key);
    await done(tx);
  }

  async keys(prefix: string): Promise<string[]> {
    const tx = this.db.transaction(STORE, "readonly");
    // Every string that starts with `prefix` sorts between it and prefix + U+FFFF.
    const all = await request(
      tx.objectStore(STORE).getAllKeys(this.range.bound(prefix, `${prefix}\uffff`)),
    );
    return all.filter((k): k is string => typeof k === "string" && k.startsWith(prefix)).sort();
  }

  close(): void {
    this.db.close();
  }
}
