import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { otlpFormatOf } from "./decode.js";
import { encodeExportTraceResponse, encodeRpcStatus, otlpContentType, partialSuccessOf } from "./encode-response.js";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";
import { ExportTraceServiceResponseSchema } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("partialSuccessOf", () => {
  it("is null when nothing was rejected", () => {
    expect(partialSuccessOf({ count: 0, reasons: [] })).toBeNull();
  });

  it("counts the rejected spans and lists the reasons", () => {
    expect(partialSuccessOf({ count: 1, reasons: ["spans[0]: name is required"] })).toEqual({
      rejectedSpans: 1,
      errorMessage: "1 span was rejected: spans[0]: name is required",
    });
    expect(partialSuccessOf({ count: 30, reasons: ["a", "b"] })?.errorMessage).toBe(
      "30 spans were rejected (first 2 shown): a; b",
    );
  });
});

describe("encodeExportTraceResponse", () => {
  const partial = { rejectedSpans: 3, errorMessage: "3 spans were rejected: ..." };

  it("encodes partial_success in protobuf", () => {
    const decoded = fromBinary(ExportTraceServiceResponseSchema, encodeExportTraceResponse(partial, "protobuf"));
    expect(decoded.partialSuccess?.rejectedSpans).toBe(3n);
    expect(decoded.partialSuccess?.errorMessage).toBe(partial.errorMessage);
  });

  it("encodes a full success as an empty message", () => {
    expect(encodeExportTraceResponse(null, "protobuf")).toHaveLength(0);
    expect(text(encodeExportTraceResponse(null, "json"))).toBe("{}");
  });

  it("encodes partialSuccess in JSON with int64 as a string", () => {
    expect(JSON.parse(text(encodeExportTraceResponse(partial, "json")))).toEqual({
      partialSuccess: { rejectedSpans: "3", errorMessage: partial.errorMessage },
    });
  });
});

describe("encodeRpcStatus", () => {
  it("encodes a google.rpc.Status in both formats", () => {
    const status = { code: 3, message: "The body is not valid JSON." };
    expect(fromBinary(StatusSchema, encodeRpcStatus(status, "protobuf"))).toMatchObject(status);
    expect(JSON.parse(text(encodeRpcStatus(status, "json")))).toEqual(status);
  });
});

describe("content types", () => {
  it.each([
    ["application/x-protobuf", "protobuf"],
    ["application/protobuf", "protobuf"],
    ["application/json; charset=utf-8", "json"],
    ["Application/JSON", "json"],
    ["text/plain", null],
    [null, null],
  ])("%s is %s", (contentType, format) => {
    expect(otlpFormatOf(contentType)).toBe(format);
  });

  it("answers in the request's format", () => {
    expect(otlpContentType("json")).toBe("application/json");
    expect(otlpContentType("protobuf")).toBe("application/x-protobuf");
  });
});
