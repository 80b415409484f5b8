import { type CipherSuite, type CryptoBackendChoice, getCipherSuite } from "@hpqmls/mls-core";

/**
 * The crypto backend the vector runners build their suites on: "auto" by default (in a browser
 * bundle that is the WebCrypto table), or one forced by `npm run vectors -- --backend <name>` and
 * by the tests that run the whole official set on each backend.
 */
let backend: CryptoBackendChoice = "auto";

export function setVectorBackend(choice: CryptoBackendChoice): void {
  backend = choice;
}

export function vectorBackend(): CryptoBackendChoice {
  return backend;
}

export function vectorSuite(id: number): CipherSuite {
  return getCipherSuite(id, { backend });
}
