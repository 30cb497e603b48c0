import { describe, expect, it } from "vitest";
import { decodeOtlpTraces } from "./decode.js";
import { OtlpDecodeError } from "./errors.js";
import { TRACE_ID, jsonBody } from "../../test/fixtures/otlp";

const SPAN_ID = "00f067aa0ba902b7";
const decode = (value: unknown) => decodeOtlpTraces(jsonBody(value), "json");
const oneSpan = (span: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
      scopeSpans: [{ spans: [span] }],
      ...extra,
    },
  ],
});
const baseSpan = { traceId: TRACE_ID, spanId: SPAN_ID, name: "op", startTimeUnixNano: "1764151200000000000" };

describe("decodeOtlpTraces (JSON)", () => {
  it("reads lowerCamelCase fields with int64 as strings and enums as integers", () => {
    const { spans, rejected } = decode(
      oneSpan({
        ...baseSpan,
        parentSpanId: "1111111111111111",
        kind: 3,
        endTimeUnixNano: "1764151201000000000",
        attributes: [
          { key: "n", value: { intValue: "12" } },
          { key: "d", value: { doubleValue: 1.5 } },
          { key: "b", value: { boolValue: false } },
          { key: "bytes", value: { bytesValue: "3q2+7w==" } },
          { key: "arr", value: { arrayValue: { values: [{ stringValue: "x" }, { intValue: 2 }] } } },
          { key: "kv", value: { kvlistValue: { values: [{ key: "k", value: { stringValue: "v" } }] } } },
          { key: "empty", value: {} },
          { key: "inf", value: { doubleValue: "-Infinity" } },
        ],
        status: { code: 2, message: "bad" },
        events: [{ name: "e", timeUnixNano: "1764151200500000000", attributes: [] }],
      }),
    );
    expect(rejected.count).toBe(0);
    expect(spans[0]).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      parentSpanId: "1111111111111111",
      kind: 3,
      startTime: "2025-11-26T10:00:00.000Z",
      endTime: "2025-11-26T10:00:01.000Z",
      status: { code: 2, message: "bad" },
      attributes: {
        n: 12,
        d: 1.5,
        b: false,
        bytes: "3q2+7w==",
        arr: ["x", 2],
        kv: { k: "v" },
        empty: null,
        inf: "-Infinity",
      },
      resource: { "service.name": "svc" },
      events: [{ name: "e", time: "2025-11-26T10:00:00.500Z", attributes: {} }],
    });
  });

  it("accepts snake_case keys, int64 as numbers and enum names", () => {
    const { spans, rejected } = decode({
      resource_spans: [
        {
          resource: { attributes: [{ key: "service.name", value: { string_value: "snake" } }] },
          scope_spans: [
            {
              scope: { name: "lib", version: "2" },
              spans: [
                {
                  trace_id: TRACE_ID,
                  span_id: SPAN_ID,
                  parent_span_id: "",
                  name: "op",
                  kind: "SPAN_KIND_SERVER",
                  start_time_unix_nano: 1764151200000000000,
                  end_time_unix_nano: 1764151202000000000,
                  attributes: [{ key: "tokens", value: { int_value: 7 } }],
                  status: { code: "STATUS_CODE_OK" },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(rejected.count).toBe(0);
    expect(spans[0]).toMatchObject({
      parentSpanId: null,
      kind: 2,
      endTime: "2025-11-26T10:00:02.000Z",
      status: { code: 1, message: "" },
      attributes: { tokens: 7 },
      resource: { "service.name": "snake" },
      scope: { name: "lib", version: "2" },
    });
  });

  it("lowercases hex ids and accepts base64 ids from plain proto3 JSON exporters", () => {
    const upper = decode(oneSpan({ ...baseSpan, traceId: TRACE_ID.toUpperCase() }));
    expect(upper.spans[0]!.traceId).toBe(TRACE_ID);
    const base64 = decode(oneSpan({ ...baseSpan, traceId: "CvdlGRbNQ92ESOshHIAxnA==", spanId: "APBnqgupArc=" }));
    expect(base64.spans[0]).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID });
  });

  it("ignores unknown fields", () => {
    const { spans, rejected } = decode({
      somethingNew: true,
      resourceSpans: [
        {
          schemaUrl: "x",
          futureField: 1,
          scopeSpans: [
            {
              spans: [
                { ...baseSpan, flags: 257, links: [], traceState: "a=b", droppedAttributesCount: 3, newThing: {} },
              ],
            },
          ],
        },
      ],
    });
    expect(rejected.count).toBe(0);
    expect(spans).toHaveLength(1);
  });

  it("rejects malformed spans with a reason and keeps the rest", () => {
    const { spans, rejected } = decodeOtlpTraces(
      jsonBody({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  baseSpan,
                  "not a span",
                  { ...baseSpan, spanId: "zz" },
                  { ...baseSpan, startTimeUnixNano: "soon" },
                  { ...baseSpan, attributes: { not: "a list" } },
                  { ...baseSpan, kind: "SIDEWAYS" },
                  { ...baseSpan, traceId: "" },
                  { ...baseSpan, name: undefined },
                ],
              },
            ],
          },
        ],
      }),
      "json",
    );
    expect(spans).toHaveLength(1);
    expect(rejected.count).toBe(7);
    expect(rejected.reasons.map((reason) => reason.replace(/^resourceSpans\[0\]\.scopeSpans\[0\]\./, ""))).toEqual([
      "spans[1]: a span must be a JSON object",
      'spans[2]: spanId must be 8 bytes (16 hex characters), got "zz"',
      'spans[3]: startTimeUnixNano must be an integer or a decimal string, got "soon"',
      "spans[4]: attributes must be an array of {key, value}",
      'spans[5]: kind must be an integer enum value, got "SIDEWAYS"',
      "spans[6]: traceId is required",
      "spans[7]: name is required and must not be empty",
    ]);
  });

  it("treats a request without resourceSpans as empty", () => {
    expect(decode({})).toEqual({ spans: [], rejected: { count: 0, reasons: [] } });
  });

  it.each([
    ["invalid JSON", new TextEncoder().encode("{nope"), /not valid UTF-8 JSON/],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), /not valid UTF-8 JSON/],
    ["a JSON array", jsonBody([1, 2]), /must be a JSON object/],
    [
      "resourceSpans that is not an array",
      jsonBody({ resourceSpans: { a: 1 } }),
      /resourceSpans in the request must be an array/,
    ],
    [
      "spans that is not an array",
      jsonBody({ resourceSpans: [{ scopeSpans: [{ spans: 5 }] }] }),
      /spans in resourceSpans\[0\]\.scopeSpans\[0\] must be an array/,
    ],
    [
      "a resource with malformed attributes",
      jsonBody({ resourceSpans: [{ resource: { attributes: 1 } }] }),
      /resourceSpans\[0\]\.resource: attributes must be an array/,
    ],
  ])("throws OtlpDecodeError for %s", (_, body, message) => {
    expect(() => decodeOtlpTraces(body, "json")).toThrow(OtlpDecodeError);
    expect(() => decodeOtlpTraces(body, "json")).toThrow(message);
  });

  it("keeps an attribute named __proto__ as data, without touching the prototype", () => {
    const { spans } = decode(
      oneSpan({
        ...baseSpan,
        attributes: [
          { key: "__proto__", value: { kvlistValue: { values: [{ key: "polluted", value: { boolValue: true } }] } } },
        ],
      }),
    );
    const attributes = spans[0]!.attributes;
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(attributes))).toEqual(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
