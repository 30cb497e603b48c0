import { describe, expect, it } from "vitest";
import { asCount, collectPrefixed, parseJsonish, pick, unflatten } from "./attribute-lookup.js";

describe("pick", () => {
  it("returns the first present key and skips empty values", () => {
    expect(pick({ a: "", b: null, c: 0, d: "x" }, ["a", "b", "c", "d"])).toEqual({ value: 0, keys: ["c"] });
    expect(pick({}, ["a"])).toBeUndefined();
  });
});

describe("asCount", () => {
  it("accepts non-negative integers and numeric strings only", () => {
    expect(asCount(12)).toBe(12);
    expect(asCount("12")).toBe(12);
    expect(asCount(-1)).toBeUndefined();
    expect(asCount(1.5)).toBeUndefined();
    expect(asCount("")).toBeUndefined();
    expect(asCount("9007199254740993")).toBeUndefined();
  });
});

describe("parseJsonish", () => {
  it("parses JSON objects and arrays in strings and leaves other strings alone", () => {
    expect(parseJsonish('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonish(" [1,2]")).toEqual([1, 2]);
    expect(parseJsonish("hello")).toBe("hello");
    expect(parseJsonish("42")).toBe("42");
    expect(parseJsonish("{broken")).toBe("{broken");
    expect(parseJsonish(5)).toBe(5);
  });
});

describe("unflatten", () => {
  it("rebuilds indexed flattened keys into arrays of objects in index order", () => {
    const attrs = {
      "llm.input_messages.1.message.role": "user",
      "llm.input_messages.0.message.role": "system",
      "llm.input_messages.0.message.content": "be brief",
      "llm.input_messages.1.message.content": "hi",
      "llm.input_messages.10.message.role": "assistant",
      other: 1,
    };
    expect(unflatten(attrs, "llm.input_messages.")).toEqual({
      value: [
        { message: { role: "system", content: "be brief" } },
        { message: { role: "user", content: "hi" } },
        { message: { role: "assistant" } },
      ],
      keys: [
        "llm.input_messages.1.message.role",
        "llm.input_messages.0.message.role",
        "llm.input_messages.0.message.content",
        "llm.input_messages.1.message.content",
        "llm.input_messages.10.message.role",
      ],
    });
    expect(unflatten(attrs, "nothing.")).toBeUndefined();
  });
});

describe("collectPrefixed", () => {
  it("strips the prefix", () => {
    expect(collectPrefixed({ "m.a": 1, "m.b.c": 2, x: 3 }, "m.")).toEqual({ a: 1, "b.c": 2 });
    expect(collectPrefixed({ x: 3 }, "m.")).toBeUndefined();
  });
});
