import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUNNERS } from "../vectors/runners/index.js";
import { vectorsDir } from "../vectors/vectorsDir.js";
import { bundleForBrowser } from "./bundle.js";
import { hasChromium, type LaunchedBrowser, launchChromium } from "./chromium.js";
import { type StaticServer, serveStatic } from "./staticServer.js";
import type {} from "./vectorsPage.js";

/**
 * mls-core in a real browser (issue 10): the package bundled for the browser — WebCrypto backend,
 * no Node built-ins — runs the official RFC 9420 vectors for suites 1 and 2 through the same
 * runners as in Node, and the default PQ suite's known answers (draft-ietf-hpke-pq KEM vectors,
 * FIPS 204 ML-DSA-65 sigVer) and a group's life, in Chromium.
 */

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "..", "..", "packages", "mls-core", "test", "fixtures");
const BROWSER_SUITES = new Set([1, 2]);

function casesFor(name: string): unknown[] {
  const all: unknown[] = JSON.parse(readFileSync(join(vectorsDir(), `${name}.json`), "utf8"));
  return all.filter((c) => {
    const s = (c as { cipher_suite?: number }).cipher_suite;
    return s === undefined || BROWSER_SUITES.has(s);
  });
}

describe.skipIf(!hasChromium)("mls-core in Chromium", () => {
  let browser: LaunchedBrowser;
  let server: StaticServer;
  let page: Page;
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleForBrowser(join(here, "vectorsPage.ts"));
    server = await serveStatic({
      "/": {
        type: "text/html",
        body: '<!doctype html><meta charset="utf-8"><title>hpqmls</title><script type="module" src="/vectors.js"></script>',
      },
      "/vectors.js": { type: "text/javascript", body: bundle },
    });
    browser = await launchChromium();
    page = await browser.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => typeof hpqmlsVectors !== "undefined", undefined, {
      timeout: 30_000,
    });
    expect(errors).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("bundles without a Node built-in and runs in a secure context with crypto.subtle", async () => {
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(await page.evaluate(() => hpqmlsVectors.secureContext())).toBe(true);
    expect(await page.evaluate(() => hpqmlsVectors.hasSubtle())).toBe(true);
  });

  it("the built packages (dist/, as published) bundle for the browser without Node built-ins", async () => {
    // esbuild fails on any node: import under platform "browser"; the "browser" field of
    // mls-core's package.json must map dist/crypto/platform.js as it maps the source.
    const built = await bundleForBrowser(join(here, "distEntry.ts"), { fromSource: false });
    expect(built).toContain("webcrypto");
    expect(built).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("takes curves and AES-GCM from WebCrypto, hashing from noble (the browser auto table)", async () => {
    expect(await page.evaluate(() => hpqmlsVectors.implementations(1))).toEqual({
      hash: "js+webcrypto",
      kdf: "js",
      aead: "webcrypto",
      kem: "webcrypto",
      signature: "webcrypto",
    });
    expect(await page.evaluate(() => hpqmlsVectors.implementations(2))).toEqual({
      hash: "js+webcrypto",
      kdf: "js",
      aead: "webcrypto",
      kem: "webcrypto",
      signature: "webcrypto",
    });
  });

  for (const name of RUNNERS.keys()) {
    it(`${name}.json, suites 1 and 2: every case passes in the browser`, async () => {
      const cases = casesFor(name);
      expect(cases.length).toBeGreaterThan(0);
      const r = await page.evaluate(([n, c]) => hpqmlsVectors.runVectors(n, c), [
        name,
        cases,
      ] as const);
      expect(r.failures).toEqual([]);
      expect(r.passed).toBe(cases.length);
    });
  }

  it("PQ: draft-ietf-hpke-pq KEM vectors and ML-DSA-65 sigVer known answers", async () => {
    const kem = JSON.parse(readFileSync(join(fixtures, "hpke-pq-vectors.json"), "utf8")).cases;
    const sigVer = JSON.parse(
      readFileSync(join(fixtures, "mldsa-acvp-subset.json"), "utf8"),
    ).sigVer;
    const checks = await page.evaluate(([k, s]) => hpqmlsVectors.pqKnownAnswers(k, s), [
      kem,
      sigVer,
    ] as const);
    expect(checks.filter((c) => c.error !== undefined)).toEqual([]);
    const names = checks.map((c) => c.name);
    for (const id of ["0x41", "0x647a", "0x50"])
      expect(names.filter((n) => n.startsWith(`kem ${id}:`)).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.startsWith("ML-DSA-65 sigVer")).length).toBeGreaterThan(0);
  });

  it.each(
    [0x0001, 0x0002, 0xf00a, 0xf001].map((id) => [id.toString(16).padStart(4, "0"), id] as const),
  )("suite 0x%s: create, Welcome, commit, message in the browser", async (_hex, id) => {
    const checks = await page.evaluate((s) => hpqmlsVectors.groupLife(s), id);
    expect(checks).toEqual([{ name: `suite 0x${id.toString(16)}: a group's life` }]);
  });
});
