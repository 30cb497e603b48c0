/**
 * @module Byte/hex/base64 conversions for OTLP trace and span ids.
 */
import { base64Decode } from "@bufbuild/protobuf/wire";

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

const HEX_STRING = /^[0-9a-fA-F]*$/;
const BASE64_STRING = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * An id from OTLP/JSON as lowercase hex. The spec says hex; some exporters
 * follow plain proto3 JSON and send base64 instead, which is told apart by its
 * length (24 characters for 16 bytes, 12 for 8) and converted. Anything else is
 * returned as is, for validation to reject with the value in the reason.
 */
export function jsonIdToHex(value: unknown, byteLength: number): string {
  if (typeof value !== "string") return value === undefined || value === null ? "" : String(value);
  if (HEX_STRING.test(value)) return value.toLowerCase();
  if (value.length <= Math.ceil(byteLength / 3) * 4 && BASE64_STRING.test(value)) {
    const bytes = base64Decode(value);
    if (bytes.length === byteLength) return bytesToHex(bytes);
  }
  return value;
}
