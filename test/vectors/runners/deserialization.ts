import { Reader } from "@hpqmls/mls-core";
import { expectEqual, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";

export const deserialization: VectorRunner = {
  name: "deserialization",
  async runCase(c) {
    const f = new Fields(c);
    const r = new Reader(f.hex("vlbytes_header"));
    expectEqual("decoded length", r.varint(), f.num("length"));
    r.expectEnd();
  },
};
