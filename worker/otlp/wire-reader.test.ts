import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "../otlp/hex";
import { OtlpReader } from "./wire-reader";

/** What a reader call gives, or the error it throws, so the two readers can be compared on bad input too. */
function outcome<T>(read: () => T): { value: T } | { error: string } {
  try {
    return { value: read() };
  } catch (error) {
    return { error: String(error) };
  }
}

const lengthDelimited = (bytes: Uint8Array): Uint8Array => new BinaryWriter().bytes(bytes).finish();

describe("OtlpReader", () => {
  it("reads keys (strictly), ids and tags as BinaryReader does, on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        // A key is read as a strict `string(true)`: the same text, and refused where that refuses
        // (a bad length with the same error; bytes that are not UTF-8 with the reader's own words).
        const key = outcome(() => new OtlpReader(bytes).key());
        const strict = outcome(() => new BinaryReader(bytes).string(true));
        if ("error" in strict && /not valid for encoding utf-8/i.test(strict.error))
          expect(key).toEqual({ error: "Error: an attribute key is not valid UTF-8" });
        else expect(key).toEqual(strict);
        expect(outcome(() => new OtlpReader(bytes).hex())).toEqual(
          outcome(() => bytesToHex(new BinaryReader(bytes).bytes())),
        );
        const tag = outcome(() => new OtlpReader(bytes).tagNumber());
        const expected = outcome(() => new BinaryReader(bytes).tag());
        expect("value" in tag ? { value: [tag.value >>> 3, tag.value & 7] } : tag).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a run of ids, repeated or not, as hex() reads each one", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fc.sample(fc.uint8Array({ minLength: 0, maxLength: 17 }), 6)), { maxLength: 30 }),
        (ids) => {
          const writer = new BinaryWriter();
          for (const id of ids) writer.bytes(id);
          const reader = new OtlpReader(writer.finish());
          for (const id of ids) expect(reader.repeatedHex()).toBe(bytesToHex(id));
        },
      ),
      { numRuns: 500 },
    );
    expect(() => new OtlpReader(lengthDelimited(new Uint8Array(16)).subarray(0, 9)).repeatedHex()).toThrow(
      /premature EOF/,
    );
  });

  it("gives each key back right when many keys (and many lengths) share the cache", () => {
    const keys = fc.sample(fc.string({ unit: "binary", maxLength: 90 }), 5000);
    for (const key of [...keys, ...keys.reverse()]) {
      const field = lengthDelimited(new TextEncoder().encode(key));
      expect(new OtlpReader(field).key()).toBe(new BinaryReader(field).string());
    }
  });

  it("keeps a key apart from another of the same length that differs in one byte", () => {
    const reader = (key: string) => new OtlpReader(lengthDelimited(new TextEncoder().encode(key)));
    for (let i = 0; i < 3; i++) {
      expect(reader("llm.input_messages.0.message.role").key()).toBe("llm.input_messages.0.message.role");
      expect(reader("llm.input_messages.1.message.role").key()).toBe("llm.input_messages.1.message.role");
    }
  });

  it("tells whether a field holds the expected bytes, checking bounds as bytes() does", () => {
    const expected = new TextEncoder().encode("gen_ai.agent.name");
    expect(new OtlpReader(lengthDelimited(expected)).matches(expected)).toBe(true);
    expect(new OtlpReader(lengthDelimited(expected.subarray(1))).matches(expected)).toBe(false);
    expect(() => new OtlpReader(lengthDelimited(expected).subarray(0, 5)).matches(expected)).toThrow(/premature EOF/);
    const reader = new OtlpReader(
      new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(expected).tag(2, WireType.Varint).int32(7).finish(),
    );
    expect(reader.tagNumber()).toBe((1 << 3) | WireType.LengthDelimited);
    expect(reader.matches(expected)).toBe(true);
    expect(reader.tagNumber()).toBe((2 << 3) | WireType.Varint);
    expect(reader.int32()).toBe(7);
  });
});
