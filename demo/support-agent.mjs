/**
 * @module A customer-support agent for the demo: deterministic and offline (its "model"
 * is a few rules, its tools read a made-up order table), traced with the Flywheel
 * client. Version `v1` has failure modes planted on purpose, each of which one of the
 * demo's graders catches:
 *
 * - wrong argument format: an order id written `#a1234` is passed on as typed, not as
 *   `A1234` (the tools expect `^A\d{4}$`), so the lookup fails;
 * - wrong tool: "cancel ... and give me my money back" calls `issue_refund` instead of
 *   `cancel_order`;
 * - missed refund policy: small refunds (under $80) are issued outside the 30-day
 *   refund window;
 * - malformed JSON: the reply is built by string concatenation, so a customer name
 *   with a quote (O"Neil) breaks it;
 * - slow answers: long messages take the model about 1.6 s.
 *
 * `v2` fixes the argument format, the wrong tool, the refund policy and the slow answers,
 * still builds the reply by concatenation (so a quote in the name still breaks the JSON),
 * and breaks what used to work for one kind of ticket: one that says "urgent" is handed
 * to a colleague with an action, `escalate`, that the reply's schema does not allow. No
 * ticket of `tickets()` says "urgent"; the demo adds one as a guard case for an eval run
 * to catch.
 */
import { seededRandom } from "../bench/lib/seeded-random.mjs";

/** The refund policy the agent must follow. */
export const REFUND_WINDOW_DAYS = 30;
export const SLOW_MESSAGE_CHARS = 220;
/** v1 lets refunds under this amount through whatever the policy says (a planted failure). */
export const SMALL_REFUND_LIMIT = 80;
/** v2 escalates a ticket whose message matches this (its one new mistake). */
export const URGENT = /\burgent\b/i;

const FIRST_NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jo", 'O"Neil'];
const STATES = ["processing", "shipped", "delivered"];

/** Deterministic pseudo-random numbers, so every run sends the same tickets. */
export { seededRandom };

/** The made-up order system: 200 orders, A1000 to A1199. */
export const ORDERS = (() => {
  const random = seededRandom(7);
  const orders = new Map();
  for (let n = 1000; n < 1200; n++) {
    const state = STATES[Math.floor(random() * STATES.length)];
    orders.set(`A${n}`, {
      orderId: `A${n}`,
      state,
      amount: Math.round(10 + random() * 190),
      daysSinceDelivery: state === "delivered" ? Math.floor(random() * 60) : null,
    });
  }
  return orders;
})();

/** The tickets the demo sends: questions about orders, refunds and cancellations. */
export function tickets(count, seed = 42) {
  const random = seededRandom(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const orderIds = [...ORDERS.keys()];
  return Array.from({ length: count }, (_, i) => {
    const order = ORDERS.get(pick(orderIds));
    const name = pick(FIRST_NAMES);
    const roll = random();
    const intent = roll < 0.4 ? "status" : roll < 0.75 ? "refund" : "cancel";
    // Some customers type the id as "#a1234": the format the v1 agent mishandles.
    const written = random() < 0.12 ? `#${order.orderId.toLowerCase()}` : order.orderId;
    const moneyBack = intent === "cancel" && random() < 0.6 ? " and give me my money back" : "";
    const long =
      random() < 0.06 ? ` ${"I have been waiting a long time and I am really not happy about it. ".repeat(3)}` : "";
    const message = {
      status: `Hi, this is ${name}. Where is my order ${written}?${long}`,
      refund: `Hi, ${name} here. I want a refund for order ${written}.${long}`,
      cancel: `${name} again: please cancel order ${written}${moneyBack}.${long}`,
    }[intent];
    return { ticket: `T${String(i + 1).padStart(4, "0")}`, customer: name, intent, orderId: order.orderId, message };
  });
}

/** The reply a correct agent gives, as JSON text: the reference the graders compare with. */
export function expectedReply(ticket) {
  const { answer, action } = expectedDecision(ticket);
  return JSON.stringify({ answer: `Dear ${ticket.customer}, ${answer}`, action });
}

/** What a correct agent says and does. */
export function expectedDecision(ticket) {
  const order = ORDERS.get(ticket.orderId);
  if (ticket.intent === "status") return { answer: `Order ${order.orderId} is ${order.state}.`, action: "none" };
  if (ticket.intent === "cancel") {
    return order.state === "processing"
      ? { answer: `Order ${order.orderId} is cancelled.`, action: "cancel_order" }
      : { answer: `Order ${order.orderId} has already left our warehouse, so it cannot be cancelled.`, action: "none" };
  }
  return refundEligible(order)
    ? { answer: `Your refund of $${order.amount} for order ${order.orderId} is on its way.`, action: "issue_refund" }
    : {
        answer: `Order ${order.orderId} is outside our ${REFUND_WINDOW_DAYS}-day refund window, so I cannot refund it.`,
        action: "none",
      };
}

export function refundEligible(order) {
  return order.state === "delivered" && order.daysSinceDelivery <= REFUND_WINDOW_DAYS;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tools: they check their arguments as a real order API would. */
const tools = {
  lookup_order({ orderId }) {
    if (!/^A\d{4}$/.test(orderId))
      throw new Error(`lookup_order: '${orderId}' is not an order id (A followed by 4 digits)`);
    const order = ORDERS.get(orderId);
    if (!order) throw new Error(`lookup_order: no order ${orderId}`);
    return { ...order };
  },
  issue_refund({ orderId, amount }) {
    return { refundId: `R-${orderId}`, orderId, amount };
  },
  cancel_order({ orderId }) {
    return { orderId, cancelled: true };
  },
  search_policy() {
    return [{ doc: "refund-policy", text: `Refunds are possible within ${REFUND_WINDOW_DAYS} days of delivery.` }];
  },
};

/**
 * The agent, traced: `flywheel.trace` records each ticket as one trace with its tool
 * calls, retrieval and model call as spans. Returns the reply text (JSON, as a chat
 * model would write it).
 */
export function createSupportAgent(flywheel, version) {
  const v1 = version === "v1";
  return flywheel.trace(
    "support-bot",
    async (ticket) => {
      const order = ORDERS.get(ticket.orderId);
      // What the app knows from its own order system, kept with the trace for the graders.
      flywheel.current()?.set({
        metadata: {
          ticket: ticket.ticket,
          intent: ticket.intent,
          refundEligible: ticket.intent === "refund" ? refundEligible(order) : null,
          reference: expectedReply(ticket),
        },
      });
      const typed = ticket.message.match(/#?[Aa]\d{4}/)[0];
      const orderId = v1 ? typed : `A${typed.slice(-4)}`;
      let found;
      try {
        found = await flywheel.tool("lookup_order", { orderId }, () => tools.lookup_order({ orderId }));
      } catch {
        found = null;
      }
      const policy =
        ticket.intent === "refund"
          ? await flywheel.retrieval("search_policy", "refund policy", tools.search_policy)
          : [];
      const decision = await flywheel.llm(
        "chat support-model",
        [
          { role: "system", content: policy.map((p) => p.text).join("\n") },
          { role: "user", content: ticket.message },
        ],
        async (span) => {
          await sleep(ticket.message.length > SLOW_MESSAGE_CHARS && v1 ? 1600 : 20 + (ticket.message.length % 40));
          span.set({ usage: { inputTokens: Math.ceil(ticket.message.length / 4) + 40, outputTokens: 30 } });
          return decide(ticket, found, version);
        },
        { model: `support-model-${version}`, provider: "local" },
      );
      if (decision.action === "issue_refund") {
        await flywheel.tool("issue_refund", { orderId: found.orderId, amount: found.amount }, () =>
          tools.issue_refund(found),
        );
      } else if (decision.action === "cancel_order") {
        await flywheel.tool("cancel_order", { orderId: found.orderId }, () => tools.cancel_order(found));
      }
      return reply(ticket, decision);
    },
    { version },
  );
}

/** The "model": what to say and which tool to call. */
function decide(ticket, order, version) {
  const v1 = version === "v1";
  if (!order) return { answer: "I could not find that order. Could you check the order number?", action: "none" };
  const expected = expectedDecision(ticket);
  if (ticket.intent === "cancel" && v1 && /money back/.test(ticket.message) && order.state === "processing") {
    return { answer: `I have refunded order ${order.orderId}.`, action: "issue_refund" }; // wrong tool
  }
  if (ticket.intent === "refund" && v1 && !refundEligible(order) && order.amount < SMALL_REFUND_LIMIT) {
    return {
      answer: `Your refund of $${order.amount} for order ${order.orderId} is on its way.`,
      action: "issue_refund",
    };
  }
  if (!v1 && URGENT.test(ticket.message)) {
    return { answer: "I have passed this to a colleague who will call you today.", action: "escalate" }; // v2's new mistake
  }
  return expected;
}

/** The reply as JSON text. Both versions concatenate strings, so a quote in the name breaks the JSON. */
function reply(ticket, decision) {
  return `{"answer": "Dear ${ticket.customer}, ${decision.answer}", "action": "${decision.action}"}`;
}
