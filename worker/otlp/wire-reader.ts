/**
 * @module protobuf-es's BinaryReader with the reads the OTLP hot paths (the scan at
 * ingest, the decode at assembly) make for every span, minus their allocations: a tag
 * as one number instead of a `[field, wire]` pair, ids as hex read straight from the
 * buffer, and attribute keys (the same few dozen in every span) from a cache, so each
 * is one string that V8 has already internalized as a property name.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { fnv1aBytes } from "../fnv1a";
import { isWellFormedUtf8 } from "./utf8";

const HEX_CODES = new TextEncoder().encode("0123456789abcdef");
/** Keys longer than this are decoded every time (they are rarely repeated). */
const MAX_CACHED_KEY = 64;
const MAX_CACHED_KEYS = 2048;
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Decoded attribute keys by a hash of their bytes; shared by every reader of the isolate. */
const keyCache = new Map<number, { bytes: Uint8Array; key: string }>();

export class OtlpReader extends BinaryReader {
  private readonly data: Uint8Array;
  /** The bytes and hex of the last `repeatedHex()` field. */
  private lastBytes: Uint8Array | null = null;
  private lastHex = "";

  constructor(data: Uint8Array) {
    super(data);
    this.data = data;
  }

  /** The wire type of the tag `nextField()` read last. */
  wire: WireType = WireType.Varint;

  /** Reads the next tag (refused as `tag()` refuses it); returns its field number and keeps its wire type in `wire`. */
  nextField(): number {
    const tag = this.tagNumber();
    this.wire = tag & 7;
    return tag >>> 3;
  }

  /** Skips the value of the field `nextField()` read. */
  skipValue(field: number): void {
    this.skip(this.wire, field);
  }

  /** Checks that the field `nextField()` read has the wire type `expected`, as the generated decoder does. */
  expect(expected: WireType, field: number): void {
    if (this.wire !== expected) throw new Error(`field ${field} has wire type ${this.wire}, expected ${expected}`);
  }

  /** The embedded message of the field `nextField()` read: checks it is one and returns where it ends. */
  message(field: number): number {
    this.expect(WireType.LengthDelimited, field);
    return this.end();
  }

  /** Reads a length prefix and returns where the embedded value ends. */
  end(): number {
    const length = this.uint32();
    const at = this.pos + length;
    if (at > this.len) throw new RangeError("premature EOF");
    return at;
  }

  /**
   * Calls `each` with the end of every field-1 message up to `stop`, skipping other
   * fields: the shape of a request, a resource, an attribute list and an array.
   */
  eachMessage(stop: number, each: (stop: number) => void): void {
    while (this.pos < stop) {
      const field = this.nextField();
      if (field === 1 && this.wire === WireType.LengthDelimited) each(this.end());
      else this.skipValue(field);
    }
  }

  /** The next tag as `(field << 3) | wire`, refused exactly as `tag()` refuses it. */
  tagNumber(): number {
    const start = this.pos;
    const tag = this.uint32();
    const read = this.pos - start;
    if (read > 5 || (read === 5 && this.data[this.pos - 1]! > 0x0f))
      throw new Error("illegal tag: varint overflows uint32");
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field <= 0 || wire > 5) throw new Error(`illegal tag: field no ${field} wire type ${wire}`);
    return tag >>> 0;
  }

  /**
   * Moves past a length-delimited field, bounds-checked as `bytes()` checks it, and
   * returns its length (its bytes end at `pos`), without a view of them.
   */
  skipField(): number {
    const length = this.uint32();
    const stop = this.pos + length;
    if (stop > this.len) throw new RangeError("premature EOF");
    this.pos = stop;
    return length;
  }

  /** A length-delimited bytes field as lowercase hex (what `bytesToHex(reader.bytes())` gives). */
  hex(): string {
    const length = this.skipField();
    return this.hexAt(this.pos - length, length);
  }

  /**
   * `hex()` for a field that mostly repeats its previous value, such as the trace id of
   * every span of a piece: the string made last time when the bytes are the same.
   */
  repeatedHex(): string {
    const length = this.skipField();
    const start = this.pos - length;
    if (this.lastBytes && this.holds(start, length, this.lastBytes)) return this.lastHex;
    this.lastBytes = this.data.slice(start, this.pos);
    this.lastHex = this.hexAt(start, length);
    return this.lastHex;
  }

  private hexAt(start: number, length: number): string {
    const codes = new Array<number>(length * 2);
    for (let i = 0; i < length; i++) {
      const byte = this.data[start + i]!;
      codes[2 * i] = HEX_CODES[byte >>> 4]!;
      codes[2 * i + 1] = HEX_CODES[byte & 15]!;
    }
    return String.fromCharCode.apply(String, codes);
  }

  /** Reads a length-delimited field and tells whether its bytes are `expected`'s, without a view of them. */
  matches(expected: Uint8Array): boolean {
    const length = this.skipField();
    return this.holds(this.pos - length, length, expected);
  }

  /** Skips a string field, refusing it when its bytes are not UTF-8; returns its length. */
  skipString(what: string): number {
    const length = this.skipField();
    this.assertUtf8(this.pos - length, this.pos, what);
    return length;
  }

  /** `matches(expected)` for a string field: a field that differs must still be UTF-8. */
  matchesString(expected: Uint8Array, what: string): boolean {
    const length = this.skipField();
    const start = this.pos - length;
    if (this.holds(start, length, expected)) return true;
    this.assertUtf8(start, this.pos, what);
    return false;
  }

  /** Throws, naming `what`, when the bytes at [start, stop) are not UTF-8. */
  private assertUtf8(start: number, stop: number, what: string): void {
    if (!isWellFormedUtf8(this.data, start, stop)) throw new Error(`${what} is not valid UTF-8`);
  }

  /** Whether the `length` bytes at `start` are `expected`. */
  private holds(start: number, length: number, expected: Uint8Array): boolean {
    if (length !== expected.length) return false;
    for (let i = 0; i < length; i++) if (this.data[start + i] !== expected[i]) return false;
    return true;
  }

  /**
   * A string field that is an attribute key: the same string as `string(true)`, cached by
   * its bytes. Bytes that are not UTF-8 are refused, as a protobuf `string` must be.
   */
  key(): string {
    const length = this.skipField();
    const stop = this.pos;
    const start = stop - length;
    const data = this.data;
    if (length > MAX_CACHED_KEY) {
      this.assertUtf8(start, stop, "an attribute key");
      return utf8.decode(data.subarray(start, stop));
    }
    const hash = fnv1aBytes(data, start, stop, length);
    const cached = keyCache.get(hash);
    if (cached && this.holds(start, length, cached.bytes)) return cached.key;
    this.assertUtf8(start, stop, "an attribute key");
    const bytes = data.slice(start, stop);
    const key = utf8.decode(bytes);
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(hash, { bytes, key });
    return key;
  }
}
