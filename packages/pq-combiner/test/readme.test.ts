import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { quickstart } from "../examples/quickstart.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe("README example", () => {
  it("is shown verbatim in the README", () => {
    const readme = readFileSync(here("../README.md"), "utf8");
    expect(readme).toContain(readFileSync(here("../examples/quickstart.ts"), "utf8"));
  });

  it("runs: FULL join, PARTIAL update, a message in the T group", async () => {
    const r = await quickstart();
    expect(r).toEqual({ text: "hello, post-quantum world", full: "FULL", partial: "partial" });
  });
});
