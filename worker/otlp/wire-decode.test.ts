import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeProtobufTraces } from "./decode-protobuf";
import { OtlpDecodeError } from "./errors";
import { sdkAgentRuns } from "../../test/fixtures/otlp-sdk";
import { EVERY_VALUE_KIND, protobufRequest } from "../../test/fixtures/otlp";
import { decodeProtobufTracesFast } from "./wire-decode";

const sdkPayload = (): Uint8Array => sdkAgentRuns(["sdk-bot"], 1);

const fixture = protobufRequest([EVERY_VALUE_KIND]);

function outcome(decode: (body: Uint8Array) => unknown, body: Uint8Array): unknown {
  try {
    return { ok: decode(body) };
  } catch (error) {
    return { error: error instanceof OtlpDecodeError };
  }
}

describe("decodeProtobufTracesFast", () => {
  it.each([
    ["the real SDK exporter's payload", sdkPayload()],
    ["a payload with every AnyValue kind and rejected spans", fixture],
    ["an empty request", new Uint8Array(0)],
  ])("decodes %s exactly as the generic decoder", (_name, body) => {
    expect(decodeProtobufTracesFast(body)).toEqual(decodeProtobufTraces(body));
  });

  it("refuses what the generic decoder refuses, with OtlpDecodeError", () => {
    for (const body of [
      new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      new Uint8Array([0x0a, 0x05, 0x12]),
      new Uint8Array([0xff]),
    ]) {
      expect(() => decodeProtobufTraces(body)).toThrow(OtlpDecodeError);
      expect(() => decodeProtobufTracesFast(body)).toThrow(OtlpDecodeError);
    }
  });

  it("agrees with the generic decoder on damaged payloads", () => {
    const base = sdkPayload();
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(base.length), (at, byte, cut) => {
        const body = base.slice(0, Math.max(cut, at + 1));
        body[at] = byte;
        const generic = outcome(decodeProtobufTraces, body) as { ok?: unknown; error?: boolean };
        // Only compare bodies the generic decoder accepts; a corrupt body may be refused by either in its own words.
        if (generic.ok) expect(outcome(decodeProtobufTracesFast, body)).toEqual(generic);
      }),
      { numRuns: 300 },
    );
  });
});
