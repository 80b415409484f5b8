import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp, openPgliteStorage, type SqlStorage } from "@hpqmls/server";
import type { FastifyInstance } from "fastify";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, type LaunchedBrowser, launchChromium } from "./chromium.js";

/**
 * The web console and chat demo in Chromium (issue 10): the real server app on 127.0.0.1 over
 * PGlite in a temporary directory; two browser contexts (two people) open /console/chat, where
 * an APQ-MLS client runs in the page. One creates a hybrid group, the other publishes key
 * packages and is added by name; they chat both ways, PARTIAL commits happen as the group's
 * policy says, one FULL commit is made by hand, and the console's timeline shows them all, FULL
 * and PARTIAL marked. Screenshots go to test/artifacts/ (and docs/console.png when it is missing
 * or HPQMLS_UPDATE_SCREENSHOTS=1).
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const artifacts = join(root, "test", "artifacts");
const docsShot = join(root, "docs", "console.png");

if (!hasChromium)
  console.info(
    "test/browser/console.test.ts skipped: no Chromium at /usr/bin/chromium or CHROMIUM_PATH (bash -c 'source .ci/chromium.sh' installs it)",
  );

describe.skipIf(!hasChromium)("the web console and the chat demo in Chromium", () => {
  let dir: string;
  let storage: SqlStorage;
  let app: FastifyInstance;
  let origin = "";
  let browser: LaunchedBrowser;
  let alice: BrowserContext;
  let bob: BrowserContext;
  let a: Page;
  let b: Page;
  let groupId = "";
  const errors: string[] = [];

  async function chatPage(ctx: BrowserContext, who: string): Promise<Page> {
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(`${who}: ${e.message}`));
    await page.goto(`${origin}/console/chat`);
    await page.locator("#status", { hasText: "Ready" }).waitFor({ timeout: 60_000 });
    return page;
  }

  async function register(page: Page, name: string): Promise<void> {
    await page.getByLabel("Your name").fill(name);
    await page.getByRole("button", { name: "Register" }).click();
    await page.locator("#me").waitFor({ state: "visible", timeout: 60_000 });
    expect(await page.locator("#me-name").textContent()).toBe(name);
  }

  async function send(page: Page, text: string): Promise<void> {
    await page.getByLabel("Message", { exact: true }).fill(text);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator("#messages li.mine", { hasText: text }).waitFor({ timeout: 60_000 });
  }

  async function receives(page: Page, sender: string, text: string): Promise<void> {
    await page
      .locator(`#messages li[data-sender="${sender}"]`, { hasText: text })
      .waitFor({ timeout: 60_000 });
  }

  async function noError(page: Page): Promise<void> {
    expect(await page.locator("#error").textContent()).toBe("");
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hpqmls-console-"));
    await mkdir(artifacts, { recursive: true });
    storage = await openPgliteStorage(dir);
    app = await buildApp({ storage, rateLimit: 100_000 });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    origin = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    browser = await launchChromium();
    const viewport = { width: 1280, height: 900 };
    alice = await browser.browser.newContext({ viewport });
    bob = await browser.browser.newContext({ viewport });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await storage?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("labels every form control of the chat page", async () => {
    a = await chatPage(alice, "alice");
    b = await chatPage(bob, "bob");
    // (page code as strings: the tests are typed without the DOM library)
    const unlabelled = await a.evaluate(
      `[...document.querySelectorAll("input, select, textarea")].filter((e) => e.labels.length === 0).map((e) => e.id)`,
    );
    expect(unlabelled).toEqual([]);
    expect(await a.evaluate("window.isSecureContext && crypto.subtle !== undefined")).toBe(true);
  }, 120_000);

  it("registers both, creates a hybrid group in one tab and adds the other by a Welcome", async () => {
    await register(a, "alice");
    await register(b, "bob");
    await b.getByRole("button", { name: "Publish key packages" }).click();
    await b.locator("#invite", { hasText: "published" }).waitFor({ timeout: 60_000 });

    await a.getByLabel("Update policy of the new group").selectOption("demo");
    await a.getByRole("button", { name: "Create a hybrid group" }).click();
    await a.locator("#in-group").waitFor({ state: "visible", timeout: 60_000 });
    groupId = (await a.locator("#group-id").textContent()) ?? "";
    expect(groupId).toMatch(/^[A-Za-z0-9_-]+$/);
    await a.locator('#activity li[data-update="FULL"]', { hasText: "establishes" }).waitFor();

    await a.getByLabel("Add a member by name").fill("bob");
    await a.getByRole("button", { name: /^Add/ }).click();
    await a.locator("#status", { hasText: "bob added" }).waitFor({ timeout: 60_000 });
    await noError(a);
    // bob's tab polls for Welcomes and joins
    await b.locator("#in-group").waitFor({ state: "visible", timeout: 60_000 });
    expect(await b.locator("#group-id").textContent()).toBe(groupId);
    await a.locator("#members", { hasText: "bob" }).waitFor({ timeout: 30_000 });
    expect(await b.locator("#members").textContent()).toMatch(/alice.*bob|bob.*alice/);
  }, 180_000);

  it("chats both ways, with the updates the group's policy schedules", async () => {
    await send(a, "hello bob");
    await receives(b, "alice", "hello bob");
    await send(b, "hi alice");
    await receives(a, "bob", "hi alice");
    await send(a, "how is the post-quantum weather?");
    await receives(b, "alice", "how is the post-quantum weather?");
    await send(b, "ML-KEM sunny");
    await receives(a, "bob", "ML-KEM sunny");
    await noError(a);
    await noError(b);
    // bob's first commit is FULL (joiner rule); PARTIAL after 2 messages (demo policy)
    await b
      .locator('#activity li[data-update="FULL"]', { hasText: "first commit is FULL" })
      .waitFor({ timeout: 30_000 });
    const partials = a.locator('#activity li[data-update="PARTIAL"]');
    const partialsB = b.locator('#activity li[data-update="PARTIAL"]');
    await expect
      .poll(async () => (await partials.count()) + (await partialsB.count()), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await a.screenshot({ path: join(artifacts, "chat-alice.png"), fullPage: true });
    await b.screenshot({ path: join(artifacts, "chat-bob.png"), fullPage: true });
  }, 180_000);

  it("shows a FULL commit made in the page in the console timeline, marked FULL", async () => {
    const before = await a.locator('#activity li[data-update="FULL"]').count();
    await a.getByRole("button", { name: "FULL update now" }).click();
    await expect
      .poll(() => a.locator('#activity li[data-update="FULL"]').count(), { timeout: 60_000 })
      .toBe(before + 1);
    await noError(a);
    const api = await app.inject({ method: "GET", url: `/v1/console/groups/${groupId}/timeline` });
    const commits = api.json().commits as { seq: number; update: string; senderName: string }[];
    expect(commits[0]).toMatchObject({ update: "FULL", senderName: "alice" });
    expect(commits.some((c) => c.update === "PARTIAL")).toBe(true);

    const consolePage = await alice.newPage();
    consolePage.on("pageerror", (e) => errors.push(`console: ${e.message}`));
    await consolePage.goto(`${origin}/console/groups/${groupId}`);
    const newest = consolePage.locator(`#timeline tbody tr[data-seq="${commits[0]!.seq}"]`);
    await newest.waitFor({ timeout: 30_000 });
    expect(await newest.getAttribute("data-kind")).toBe("full-commit");
    expect(await newest.locator(".badge").textContent()).toBe("FULL");
    expect(await newest.textContent()).toContain("alice");
    const rows = consolePage.locator("#timeline tbody tr");
    expect(await rows.count()).toBe(commits.length);
    expect(await consolePage.locator("#timeline .badge.partial").count()).toBeGreaterThan(0);
    expect(await consolePage.locator("#timeline .badge.full").count()).toBe(
      commits.filter((c) => c.update === "FULL").length,
    );
    // schedule, members and the policy form are filled in
    await consolePage.locator("#due dd").first().waitFor();
    expect(await consolePage.locator("#members tbody tr").count()).toBe(2);
    expect(await consolePage.getByLabel("After M application messages").inputValue()).toBe("2");
    await consolePage.screenshot({ path: join(artifacts, "console-group.png"), fullPage: true });
    if (!existsSync(docsShot) || process.env.HPQMLS_UPDATE_SCREENSHOTS === "1") {
      await mkdir(dirname(docsShot), { recursive: true });
      await consolePage.screenshot({ path: docsShot, fullPage: true });
    }

    // the policy form saves through the console API, and refuses what the schema refuses
    await consolePage.getByLabel("After M application messages").fill("3");
    await consolePage.getByRole("button", { name: "Save policy" }).click();
    await consolePage.locator("#policy-status", { hasText: "Saved" }).waitFor();
    expect(
      (await app.inject({ method: "GET", url: `/v1/console/groups/${groupId}` })).json().policy
        .partial.everyMessages,
    ).toBe(3);
    await consolePage.getByLabel("At least every T seconds (required)").fill("999999");
    await consolePage.getByRole("button", { name: "Save policy" }).click();
    await consolePage.locator("#policy-errors", { hasText: "full.everySeconds" }).waitFor();
    expect(
      await consolePage
        .getByLabel("At least every T seconds (required)")
        .getAttribute("aria-invalid"),
    ).toBe("true");

    await consolePage.goto(`${origin}/console`);
    const row = consolePage.locator("#groups tbody tr", { hasText: groupId.slice(0, 12) });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator("td").first().textContent()).toBe("2");
    await consolePage.screenshot({ path: join(artifacts, "console-groups.png"), fullPage: true });
    await consolePage.goto(`${origin}/console/bench`);
    await consolePage.locator("#status", { hasText: /chart/ }).waitFor({ timeout: 30_000 });
    await consolePage.screenshot({ path: join(artifacts, "console-bench.png"), fullPage: true });
    await consolePage.close();
  }, 180_000);

  it("asks for the operator token when the server has one, and then shows the groups", async () => {
    const token = "console-test-token-0123456789";
    const saved = process.env.HPQMLS_CONSOLE_TOKEN;
    process.env.HPQMLS_CONSOLE_TOKEN = token;
    const secured = await buildApp({ storage, rateLimit: 100_000 }).finally(() => {
      if (saved === undefined) delete process.env.HPQMLS_CONSOLE_TOKEN;
      else process.env.HPQMLS_CONSOLE_TOKEN = saved;
    });
    try {
      await secured.listen({ port: 0, host: "127.0.0.1" });
      const address = secured.server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const ctx = await browser.browser.newContext();
      const page = await ctx.newPage();
      page.on("pageerror", (e) => errors.push(`token console: ${e.message}`));
      await page.goto(`http://127.0.0.1:${port}/console`);
      const input = page.getByLabel("Operator token");
      await input.waitFor({ state: "visible", timeout: 30_000 });
      await input.fill("a-wrong-token-of-some-length");
      await input.press("Enter");
      await page.locator("#error", { hasText: "wrong operator token" }).waitFor();
      await input.fill(token);
      await input.press("Enter");
      await page
        .locator("#groups tbody tr", { hasText: groupId.slice(0, 12) })
        .waitFor({ timeout: 30_000 });
      expect(await page.locator("#login").isHidden()).toBe(true);
      await ctx.close();
    } finally {
      await secured.close();
    }
  }, 120_000);

  it("restores a tab's member from IndexedDB after a reload and goes on chatting", async () => {
    await b.reload();
    await b.locator("#status", { hasText: "Restored, with your group" }).waitFor({
      timeout: 60_000,
    });
    expect(await b.locator("#group-id").textContent()).toBe(groupId);
    await send(a, "still there after the reload?");
    await receives(b, "alice", "still there after the reload?");
    await send(b, "yes, keys restored from IndexedDB");
    await receives(a, "bob", "yes, keys restored from IndexedDB");
    expect(errors).toEqual([]);
  }, 180_000);
});
