import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { quickstart } from "../examples/quickstart.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe("README example", () => {
  it("is shown verbatim in the README", () => {
    const readme = readFileSync(here("../README.md"), "utf8");
    const example = readFileSync(here("../examples/quickstart.ts"), "utf8");
    expect(readme).toContain(example);
  });

  it("runs: Bob reads Alice's message and both export the same secret", async () => {
    const r = await quickstart();
    expect(r.text).toBe("hi Bob");
    expect(r.sameSecret).toBe(true);
  });
});
