/**
 * Launching Debian's Chromium for the browser tests (issue 10): playwright-core drives the
 * system browser at /usr/bin/chromium (or CHROMIUM_PATH); nothing is downloaded. The flags keep
 * Chromium off the network it cannot reach here (background networking, component updates,
 * sync) and let it run as root in CI. playwright gives each launch a new empty profile.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether a Chromium is installed; `.ci/run` installs one, so CI never skips. */
export const hasChromium = existsSync(CHROMIUM_PATH);

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/** A headless Chromium with a new empty profile. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
  });
  return { browser, close: () => browser.close() };
}
