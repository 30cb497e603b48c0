/**
 * @module What every demo step shares: printing a line under its step, calling the
 * public API with the project's key, and waiting for something the server does later.
 */

export const say = (line = "") => console.log(`   ${line}`);

export async function call(ctx, method, path, body, token = ctx.apiKey) {
  const res = await fetch(`${ctx.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

export async function until(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

export function pct(x) {
  return typeof x === "number" ? `${Math.round(x * 100)}%` : "n/a";
}
