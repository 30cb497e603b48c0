import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeProtobufTraces } from "./decode-protobuf";
import { OtlpDecodeError } from "./errors";
import { sdkAgentRuns } from "../../test/fixtures/otlp-sdk";
import { EVERY_VALUE_KIND, protobufRequest } from "../../test/fixtures/otlp";
import { decodeProtobufTracesFast } from "./wire-decode";
import { scanProtobufTraces } from "./wire-scan";

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

  it("agrees with the generic decoder on every truncation of the payload", () => {
    for (const base of [sdkPayload(), fixture]) {
      for (let cut = 0; cut <= base.length; cut++) {
        const body = base.slice(0, cut);
        expect(outcome(decodeProtobufTracesFast, body), `cut at ${cut} of ${base.length}`).toEqual(
          outcome(decodeProtobufTraces, body),
        );
      }
    }
  });

  // A protobuf `string` must be UTF-8: every string the decoders read, and the ingest scan
  // before them, refuses bytes that are not, rather than storing U+FFFD in their place.
  it.each([
    ["a span name", { spanId: "00f067aa0ba902b7", name: "MARK-name", start: 0 }],
    ["an attribute key", { spanId: "00f067aa0ba902b7", name: "s", start: 0, attributes: { "MARK-key": 1 } }],
    ["an attribute value", { spanId: "00f067aa0ba902b7", name: "s", start: 0, attributes: { k: "MARK-value" } }],
    ["a nested value", { spanId: "00f067aa0ba902b7", name: "s", start: 0, attributes: { k: ["MARK-list"] } }],
    ["an event name", { spanId: "00f067aa0ba902b7", name: "s", start: 0, events: [{ name: "MARK-event" }] }],
    [
      "a status message",
      { spanId: "00f067aa0ba902b7", name: "s", start: 0, status: { code: 2, message: "MARK-status" } },
    ],
  ])("refuses %s that is not UTF-8, at ingest and at decode", (_what, span) => {
    const body = protobufRequest([{ resource: { "service.name": "svc" }, spans: [span] }]);
    const at = Buffer.from(body).indexOf("MARK");
    expect(at).toBeGreaterThan(0);
    const bad = body.slice();
    bad[at] = 0xff; // same length, so the framing stays intact; only the text is broken
    expect(() => decodeProtobufTraces(bad)).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufTracesFast(bad)).toThrow(OtlpDecodeError);
    expect(() => scanProtobufTraces(bad)).toThrow(/not valid UTF-8|not valid for encoding utf-8/i);
    // The same body with the byte intact goes through all three.
    expect(scanProtobufTraces(body).spans).toHaveLength(1);
    expect(decodeProtobufTracesFast(body)).toEqual(decodeProtobufTraces(body));
  });

  it("refuses a resource or scope string that is not UTF-8", () => {
    for (const spec of [
      { resource: { "service.name": "MARK-svc" }, spans: [{ spanId: "00f067aa0ba902b7", name: "s", start: 0 }] },
      { scope: { name: "MARK-scope" }, spans: [{ spanId: "00f067aa0ba902b7", name: "s", start: 0 }] },
    ]) {
      const bad = protobufRequest([spec]);
      bad[Buffer.from(bad).indexOf("MARK")] = 0xc0;
      expect(() => decodeProtobufTraces(bad)).toThrow(OtlpDecodeError);
      expect(() => decodeProtobufTracesFast(bad)).toThrow(OtlpDecodeError);
      expect(() => scanProtobufTraces(bad)).toThrow(OtlpDecodeError);
    }
  });

  // On a corrupted byte the two decoders may still disagree: the fast one refuses a known
  // field sent with the wrong wire type (the generic one reads it anyway). What must hold:
  // a damaged body is decoded or refused with OtlpDecodeError (a 400), never anything else.
  it("decodes a payload with a damaged byte or refuses it with OtlpDecodeError, nothing else", () => {
    const base = sdkPayload();
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(base.length), (at, byte, cut) => {
        const body = base.slice(0, Math.max(cut, at + 1));
        body[at] = byte;
        const fast = outcome(decodeProtobufTracesFast, body) as { ok?: unknown; error?: boolean };
        expect(fast.ok !== undefined || fast.error === true).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
