/**
 * `npm run bench -- browser [--quick] [--json <path>]`: the WebCrypto backend against noble in
 * Chromium, per primitive, on the inputs MLS uses. The numbers behind `WEBCRYPTO_AUTO` in
 * packages/mls-core/src/crypto/suites.ts (which primitive "auto" takes from which backend in a
 * browser). Needs Chromium (`.ci/chromium.sh` installs Debian's; CHROMIUM_PATH overrides).
 *
 * JSON: { bench: "browser", machine, browser, quick, date, rows: [{ backend, op, medianMs,
 * samples }] }.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForBrowser } from "../../test/browser/bundle.js";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "../../test/browser/chromium.js";
import { serveStatic } from "../../test/browser/staticServer.js";
import type { BenchArgs } from "./args.js";
import type { BrowserBenchRow } from "./browserPage.js";
import { writeJson } from "./common.js";
import { machineInfo, machineLine } from "./machine.js";
import { Progress } from "./progress.js";
import { fmtMs, fmtRatio, mdTable } from "./report/markdown.js";

const here = dirname(fileURLToPath(import.meta.url));

export async function runBrowser(args: BenchArgs): Promise<number> {
  if (!hasChromium) {
    process.stderr.write(`bench browser: no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)\n`);
    return 2;
  }
  const budget = args.budgetMs ?? (args.quick ? 150 : 1000);
  const server = await serveStatic({
    "/": {
      type: "text/html",
      body: '<!doctype html><meta charset="utf-8"><title>hpqmls</title><script type="module" src="/bench.js"></script>',
    },
    "/bench.js": {
      type: "text/javascript",
      body: await bundleForBrowser(join(here, "browserPage.ts")),
    },
  });
  const chromium = await launchChromium();
  try {
    const page = await chromium.browser.newPage();
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => typeof hpqmlsBrowserBench !== "undefined");
    const version = chromium.browser.version();
    const ops = await page.evaluate(() => hpqmlsBrowserBench.ops());
    const progress = new Progress(ops.length, "browser");
    const rows: BrowserBenchRow[] = [];
    for (const op of ops) {
      progress.step(op);
      rows.push(
        ...(await page.evaluate(([o, b]) => hpqmlsBrowserBench.run(o, b), [op, budget] as const)),
      );
      progress.tick();
    }
    progress.finish();
    const m = machineInfo();
    const table = ops.map((op) => {
      const web = rows.find((r) => r.op === op && r.backend === "webcrypto")!;
      const js = rows.find((r) => r.op === op && r.backend === "js")!;
      return [op, fmtMs(web.medianMs), fmtMs(js.medianMs), fmtRatio(js.medianMs / web.medianMs)];
    });
    process.stdout.write(
      `Chromium ${version} on ${machineLine(m)}\n\n${mdTable(["op (median ms)", "webcrypto", "noble", "noble / webcrypto"], table)}\n`,
    );
    if (args.json !== undefined)
      writeJson(args.json, {
        bench: "browser",
        machine: m,
        browser: `Chromium ${version}`,
        quick: args.quick,
        date: m.date,
        rows,
      });
    return 0;
  } finally {
    await chromium.close();
    await server.close();
  }
}
