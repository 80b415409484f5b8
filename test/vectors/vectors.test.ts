import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectVectorType, runVectorFile } from "./runner.js";
import { RUNNERS } from "./runners/index.js";
import { vectorsDir } from "./vectorsDir.js";

describe("official RFC 9420 test vectors", () => {
  const dir = vectorsDir();

  it("has a runner for every vector file in the folder", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(16);
    expect(files.filter((f) => detectVectorType(f) === undefined)).toEqual([]);
  });
  for (const name of RUNNERS.keys()) {
    it(`${name}.json: every case passes`, async () => {
      const r = await runVectorFile(join(dir, `${name}.json`));
      expect(r.failures).toEqual([]);
      expect(r.passed).toBeGreaterThan(0);
    });
  }
});
