/** @module Types of the demo's support agent, for the tests that label traces from how its tickets were built. */
export const REFUND_WINDOW_DAYS: number;
export const SLOW_MESSAGE_CHARS: number;
export const SMALL_REFUND_LIMIT: number;
/** v2 escalates a ticket whose message matches this. */
export const URGENT: RegExp;

export interface Order {
  orderId: string;
  state: "processing" | "shipped" | "delivered";
  amount: number;
  daysSinceDelivery: number | null;
}
export interface Ticket {
  ticket: string;
  customer: string;
  intent: "status" | "refund" | "cancel";
  orderId: string;
  message: string;
}

export function seededRandom(seed: number): () => number;
export const ORDERS: Map<string, Order>;
export function tickets(count: number, seed?: number): Ticket[];
export function expectedReply(ticket: Ticket): string;
export function expectedDecision(ticket: Ticket): { answer: string; action: "none" | "issue_refund" | "cancel_order" };
export function refundEligible(order: Order): boolean;
export function createSupportAgent(flywheel: unknown, version: "v1" | "v2"): (ticket: Ticket) => Promise<string>;
