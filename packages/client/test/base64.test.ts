import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { b64, unb64 } from "../src/base64.js";

// The hand-written base64url (no Buffer, so it runs in browsers) against Node's Buffer.
describe("base64url", () => {
  it("encodes as Buffer's base64url does, and decodes back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = b64(bytes);
        expect(s).toBe(Buffer.from(bytes).toString("base64url"));
        expect(unb64(s)).toEqual(bytes);
      }),
    );
  });

  it("decodes leniently as Buffer does: padding, the standard alphabet, whitespace", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const std = Buffer.from(bytes).toString("base64");
        expect(unb64(std)).toEqual(new Uint8Array(Buffer.from(std, "base64url")));
      }),
    );
    expect(unb64("aGk=")).toEqual(new Uint8Array([0x68, 0x69]));
    expect(unb64("aG k\n")).toEqual(new Uint8Array([0x68, 0x69]));
    expect(unb64("")).toEqual(new Uint8Array(0));
  });
});
