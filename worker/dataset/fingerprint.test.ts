import { describe, expect, it } from "vitest";
import {
  canonicalInputJson,
  inputFingerprint,
  legacyInputFingerprint,
  normaliseText,
  normaliseTextV1,
  sha256Hex,
} from "./fingerprint";

const same = async (a: unknown, b: unknown) => expect(await inputFingerprint(a)).toBe(await inputFingerprint(b));
const different = async (a: unknown, b: unknown) =>
  expect(await inputFingerprint(a)).not.toBe(await inputFingerprint(b));

describe("normaliseText", () => {
  it("lower-cases, trims and collapses every whitespace run, line breaks included", () => {
    expect(normaliseText("  Where   is\tMY  order? \r\n")).toBe("where is my order?");
    expect(normaliseText("a\r\nb\rc")).toBe("a b c");
    expect(normaliseText("def f():\n    return  1")).toBe("def f(): return 1");
    expect(normaliseText("para one\n\n \u00a0 \npara two")).toBe("para one para two");
  });

  it("applies Unicode NFC", () => {
    expect(normaliseText("caf\u0065\u0301")).toBe("caf\u00e9");
  });
});

describe("version-1 fingerprints of older cases", () => {
  it("keep case and line breaks, as version 1 did", async () => {
    expect(normaliseTextV1("  Where   is\tmy  order? \r\n")).toBe("Where is my order?");
    expect(normaliseTextV1("def f():\n    return  1")).toBe("def f():\n    return 1");
    expect(await legacyInputFingerprint("US")).not.toBe(await legacyInputFingerprint("us"));
    expect(await legacyInputFingerprint("a  b")).toBe(await legacyInputFingerprint("a b"));
  });

  it("never equal a version-2 fingerprint", async () => {
    expect(await legacyInputFingerprint("x")).not.toBe(await inputFingerprint("x"));
  });
});

describe("inputFingerprint", () => {
  it("is 64 hex characters and stable", async () => {
    const fp = await inputFingerprint({ q: "hi" });
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(await inputFingerprint({ q: "hi" })).toBe(fp);
  });

  it("merges trivially different inputs", async () => {
    await same("Where is my order?", "  Where is   my order?\n");
    await same({ a: 1, b: "x" }, { b: "x", a: 1 });
    await same({ a: 1, skip: undefined }, { a: 1 });
    await same([{ role: "user", content: "hi  there" }], [{ content: "hi there", role: "user" }]);
    await same({ nested: { z: [1, { y: "a\r\nb", x: 2 }] } }, { nested: { z: [1, { x: 2, y: "a\nb" }] } });
    await same("caf\u0065\u0301", "caf\u00e9");
    await same(1.0, 1);
    await same(-0, 0);
  });

  it("merges inputs that differ only in letter case or whitespace", async () => {
    await same("Where is my order?", "where is MY order?");
    await same("Where is my order?", "Where is\nmy order?");
    await same("Where is my order?", "\t Where  is my\r\n\r\norder?  ");
    await same("US", "us");
    await same("if x:\n    y", "if x:\ny");
    await same("a\nb", "a b");
    await same([{ role: "user", content: "Reset MY password" }], [{ role: "user", content: "reset my  password\n" }]);
  });

  it("keeps semantically different inputs apart", async () => {
    await different("Where is my order?", "Where is my order");
    await different("Where is my order?", "Where is my order?!");
    await different("ab", "a b");
    await different("order A17", "order A-17");
    await different("zero\u200bwidth", "zerowidth");
    await different("42", 42);
    await different(null, "");
    await different({ a: null }, {});
    await different({ A: 1 }, { a: 1 });
    await different([1, 2], [2, 1]);
    await different(true, "true");
    await different([[1]], [1]);
  });

  it("treats __proto__ keys as plain data", async () => {
    const withProto = JSON.parse('{"__proto__": {"x": 1}}');
    expect(canonicalInputJson(withProto)).toBe('{"__proto__":{"x":1}}');
    await different(withProto, {});
  });

  it("refuses circular input", () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalInputJson(loop)).toThrow(/circular/);
    const shared = { x: 1 };
    expect(canonicalInputJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });

  it("hashes with SHA-256", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
