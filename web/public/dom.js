// @ts-check
/**
 * @module What every page shares: building elements (text goes in as text nodes, never as
 * HTML: trace content is untrusted), the API client with the project key, and where the
 * key is kept (this tab's sessionStorage unless the user asked to be remembered).
 */

const KEY_NAME = "flywheel.apiKey";

/** The server refused the key (401): the site asks for it again. */
export class KeyRejected extends Error {}

/** The API answered 404 for a route that does not exist on this server (yet). */
export class RouteMissing extends Error {}

/** The key for this tab: sessionStorage first, then a remembered one. */
export function loadKey() {
  return sessionStorage.getItem(KEY_NAME) ?? localStorage.getItem(KEY_NAME);
}

/**
 * Keeps the key in this tab only, or also across visits when `remember` is ticked.
 * @param {string} key
 * @param {boolean} remember
 */
export function saveKey(key, remember) {
  sessionStorage.setItem(KEY_NAME, key);
  if (remember) localStorage.setItem(KEY_NAME, key);
  else localStorage.removeItem(KEY_NAME);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
}

/**
 * @typedef {string | Node | null | undefined | false} Child
 */

/**
 * An element with attributes and children. Strings become text nodes, so nothing passed
 * here is ever parsed as HTML.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = String(v ?? "");
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** @param {string} strong @param {...(Child | Child[])} rest */
export function emptyState(strong, ...rest) {
  return h("div", { class: "empty" }, h("strong", {}, strong), " ", ...rest);
}

/**
 * A block of untrusted text (trace input, output, reasons), shown exactly as it is.
 * @param {string} text
 * @param {string} [cls]
 */
export function textBlock(text, cls = "value") {
  const pre = h("pre", { class: cls });
  pre.textContent = text;
  return pre;
}

export const enc = encodeURIComponent;

/**
 * GET (or another method) under the project key. 401 → KeyRejected; 404 with
 * `not_found` for the route itself → RouteMissing; other errors carry the API's message.
 * @param {string} key
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function api(key, path, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401)
    throw new KeyRejected("The server did not accept this API key (missing, mistyped or revoked).");
  const body = await res.json().catch(() => null);
  if (res.status === 404 && typeof body?.error?.message === "string" && body.error.message.startsWith("Route "))
    throw new RouteMissing(`${path}: this server has no such API yet.`);
  if (!res.ok) {
    const error = new Error(`${res.status} ${body?.error?.message ?? res.statusText}`);
    Object.assign(error, { status: res.status, code: body?.error?.code ?? null });
    throw error;
  }
  return body;
}

/**
 * Downloads a response as a file: the export needs the key in a header, which a plain
 * link cannot send, so the bytes are fetched and handed to the browser as a blob.
 * @param {string} key
 * @param {string} path
 * @param {string} fallbackName
 */
export async function download(key, path, fallbackName) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}` } });
  if (res.status === 401) throw new KeyRejected("The server did not accept this API key.");
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(`${res.status} ${body?.error?.message ?? res.statusText}`);
  }
  const disposition = res.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
