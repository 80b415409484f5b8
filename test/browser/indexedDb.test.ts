import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApqMember } from "@hpqmls/client";
import { buildApp, openPgliteStorage, type SqlStorage } from "@hpqmls/server";
import type { FastifyInstance } from "fastify";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../packages/server/test/helpers.js";
import { bundleForBrowser } from "./bundle.js";
import { hasChromium, type LaunchedBrowser, launchChromium } from "./chromium.js";
import type {} from "./memberPage.js";
import { type StaticServer, serveStatic } from "./staticServer.js";

/**
 * @hpqmls/client in Chromium with its state in IndexedDB (issue 10): a member in the page talks
 * to the real service on loopback, the page is reloaded (all JS state gone), and the member is
 * restored from IndexedDB and goes on in its group with a member running in Node.
 */

const here = dirname(fileURLToPath(import.meta.url));

describe.skipIf(!hasChromium)("ApqMember in the browser, state in IndexedDB", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let storage: SqlStorage;
  let app: FastifyInstance;
  let pages: StaticServer;
  let origin = "";
  let browser: LaunchedBrowser;
  let page: Page;

  async function load(): Promise<void> {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => typeof hpqmlsMember !== "undefined", undefined, {
      timeout: 30_000,
    });
  }

  beforeAll(async () => {
    dir = await tempDir("hpqmls-idb-");
    storage = await openPgliteStorage(dir.path);
    const bundle = await bundleForBrowser(join(here, "memberPage.ts"));
    app = await buildApp({ storage, rateLimit: 100_000 });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const api = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    // The page and the API share one origin (as the console's pages and the service do).
    pages = await serveStatic(
      {
        "/": {
          type: "text/html",
          body: '<!doctype html><meta charset="utf-8"><title>hpqmls</title><script type="module" src="/member.js"></script>',
        },
        "/member.js": { type: "text/javascript", body: bundle },
      },
      api,
    );
    origin = pages.origin;
    browser = await launchChromium();
    page = await browser.browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await load();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await app?.close();
    await storage?.close();
    await dir?.remove();
  });

  it("IndexedDbClientStore: put, get, keys by prefix, delete", async () => {
    expect(await page.evaluate(() => hpqmlsMember.storeRoundTrip())).toEqual([
      '["a/1","a/2"]',
      "[1,2,3]",
      "undefined",
      '["a/2","b/1"]',
    ]);
  });

  it("a member restored from IndexedDB after a reload goes on in its group", async () => {
    const nodeMember = await ApqMember.register(origin, "node-bob");
    await nodeMember.publishKeyPackages(1);
    const clientId = await page.evaluate(() => hpqmlsMember.register("web-alice"));
    const groupId = await page.evaluate(() => hpqmlsMember.createGroup());
    await page.evaluate((g) => hpqmlsMember.add(g, "node-bob"), groupId);
    expect(await nodeMember.acceptWelcomes()).toEqual([groupId]);
    await page.evaluate((g) => hpqmlsMember.send(g, "before the reload"), groupId);
    expect((await nodeMember.sync(groupId)).map((m) => m.text)).toEqual(["before the reload"]);

    await load(); // every object in the page is gone; IndexedDB stays
    expect(await page.evaluate(() => hpqmlsMember.restore("web-alice"))).toBe(clientId);
    expect(await page.evaluate(() => hpqmlsMember.groupIds())).toEqual([groupId]);
    await nodeMember.send(groupId, "while you were away");
    expect(await page.evaluate((g) => hpqmlsMember.sync(g), groupId)).toEqual([
      "node-bob: while you were away",
    ]);
    await page.evaluate((g) => hpqmlsMember.send(g, "after the reload"), groupId);
    expect((await nodeMember.sync(groupId)).map((m) => m.text)).toEqual(["after the reload"]);
  });
});
