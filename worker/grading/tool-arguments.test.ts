import { describe, expect, it } from "vitest";
import { graderDefinitionSchema } from "./definitions";
import { grade } from "./grade";
import { graderOf, makeTrace, span } from "../../test/fixtures/grading";

/** A trace calling `lookup_order` once per argument object given. */
const calling = (...argsOfCalls: unknown[]) =>
  makeTrace({
    spans: argsOfCalls.map((input, i) => span({ id: `t${i}`, type: "tool", name: "lookup_order", input })),
  });

const rule = (extra: object) =>
  graderOf({ kind: "rule", check: "tool_called", tool: "lookup_order", ...extra } as never);

const orderIdFormat = rule({ args: [{ path: "orderId", regex: "^A\\d{4}$" }] });

describe("tool_called argument formats", () => {
  it("passes an order id in the right format and fails near misses", () => {
    expect(grade(calling({ orderId: "A1234" }), orderIdFormat).verdict).toBe("pass");
    for (const wrong of ["a1234", "A123", "A12345", " A1234", "B1234", 1234, null]) {
      expect(grade(calling({ orderId: wrong }), orderIdFormat).verdict, JSON.stringify(wrong)).toBe("fail");
    }
  });

  it("says which call had what", () => {
    const result = grade(calling({ orderId: "A12" }), orderIdFormat);
    expect(result.reason).toBe(
      "tool `lookup_order` was called once but never with `orderId` matching /^A\\d{4}$/ (first call had `orderId` = A12)",
    );
    expect(grade(calling({ id: 1 }), orderIdFormat).reason).toMatch(/`orderId` absent/);
  });

  it("reads arguments sent as a JSON string (OTLP)", () => {
    expect(grade(calling('{"orderId":"A1234"}'), orderIdFormat).verdict).toBe("pass");
  });

  it("checks dates and emails with flags", () => {
    const date = rule({ args: [{ path: "since", regex: "^\\d{4}-\\d{2}-\\d{2}$" }] });
    expect(grade(calling({ since: "2026-11-26" }), date).verdict).toBe("pass");
    expect(grade(calling({ since: "26/11/2026" }), date).verdict).toBe("fail");
    const email = rule({ args: [{ path: "customer.email", regex: "^[^@\\s]+@[^@\\s]+\\.[a-z]+$", flags: "i" }] });
    expect(grade(calling({ customer: { email: "Ann@Example.COM" } }), email).verdict).toBe("pass");
    expect(grade(calling({ customer: { email: "ann(at)example.com" } }), email).verdict).toBe("fail");
  });

  it("checks presence and absence with `exists`", () => {
    const present = rule({ args: [{ path: "orderId", exists: true }] });
    expect(grade(calling({ orderId: null }), present).verdict).toBe("pass");
    expect(grade(calling({}), present).verdict).toBe("fail");
    const absent = rule({ args: [{ path: "debug", exists: false }] });
    expect(grade(calling({ orderId: "A1234" }), absent).verdict).toBe("pass");
    expect(grade(calling({ debug: false }), absent).verdict).toBe("fail");
  });

  it("compares `equals` as typed JSON", () => {
    const amount = rule({ args: [{ path: "amount", equals: 10 }] });
    expect(grade(calling({ amount: 10 }), amount).verdict).toBe("pass");
    expect(grade(calling({ amount: "10" }), amount).verdict).toBe("fail");
  });

  it("requires every condition on the same call", () => {
    const both = rule({
      args: [
        { path: "orderId", regex: "^A\\d{4}$" },
        { path: "express", equals: true },
      ],
    });
    expect(grade(calling({ orderId: "A1234", express: true }), both).verdict).toBe("pass");
    // Each condition holds on some call, but never both on one.
    expect(grade(calling({ orderId: "A1234", express: false }, { orderId: "bad", express: true }), both).verdict).toBe(
      "fail",
    );
  });

  it("lets the user choose any call or every call", () => {
    const trace = calling({ orderId: "A1234" }, { orderId: "1234" });
    expect(grade(trace, orderIdFormat).verdict).toBe("pass");
    const every = rule({ calls: "every", args: [{ path: "orderId", regex: "^A\\d{4}$" }] });
    const result = grade(trace, every);
    expect(result.verdict).toBe("fail");
    expect(result.reason).toMatch(/^call 2 of 2 of tool `lookup_order` did not have/);
    expect(grade(calling({ orderId: "A1234" }, { orderId: "A9999" }), every).verdict).toBe("pass");
  });

  it("finds a key at any depth with `deep`, and every copy must match", () => {
    const deep = rule({ args: [{ path: "orderId", deep: true, regex: "^A\\d{4}$" }] });
    expect(grade(calling({ request: { items: [{ orderId: "A1234" }] } }), deep).verdict).toBe("pass");
    expect(grade(calling({ request: { items: [{ orderId: "A12" }] } }), deep).verdict).toBe("fail");
    expect(grade(calling({ orderId: "A1234", nested: { orderId: "x" } }), deep).verdict).toBe("fail");
    expect(grade(calling({ request: {} }), deep).verdict).toBe("fail");
    // Without `deep` the path is read from the top only.
    expect(grade(calling({ request: { orderId: "A1234" } }), orderIdFormat).verdict).toBe("fail");
    const deepPath = rule({ args: [{ path: "order.id", deep: true, equals: "A1" }] });
    expect(grade(calling({ body: { order: { id: "A1" } } }), deepPath).verdict).toBe("pass");
  });
});

describe("tool_called argument definitions", () => {
  const messages = (arg: object) => {
    const parsed = graderDefinitionSchema.safeParse({
      kind: "rule",
      check: "tool_called",
      tool: "t",
      args: [arg],
    });
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("needs exactly one condition", () => {
    expect(messages({ path: "a" })[0]).toMatch(/give exactly one of `equals`, `contains`, `regex`, `exists`/);
    expect(messages({ path: "a", equals: 1, regex: "x" })[0]).toMatch(/got equals, regex/);
    expect(messages({ path: "a", equals: null })).toEqual([]);
  });

  it("refuses unsafe regexes the way the regex rule does", () => {
    expect(messages({ path: "a", regex: "(a+)+$" })[0]).toMatch(/^args\.0\.regex: /);
    expect(messages({ path: "a", regex: "x", flags: "g" })[0]).toMatch(/^args\.0\.flags: /);
    expect(messages({ path: "a", equals: 1, flags: "i" })[0]).toMatch(/only applies with `regex`/);
  });
});
