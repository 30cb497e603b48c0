/**
 * @module Authentication. Admin routes take `Bearer $ADMIN_TOKEN`; project routes take
 * `Bearer <apiKey>`, or `Basic base64(projectId:apiKey)` as the Langfuse SDK sends it.
 * Every failure is a 401 that says which credential to send.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { verifyKey } from "../storage/api-keys";
import { constantTimeEqual, sha256Hex } from "../storage/hash";

const unauthorized = (message: string) =>
  new ApiError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Bearer realm="flywheel"' });

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.var.config.ADMIN_TOKEN;
  if (!expected) {
    throw new ApiError(
      503,
      "admin_not_configured",
      "No ADMIN_TOKEN is configured on the server; set it in .dev.vars (local) or as a Wrangler secret.",
    );
  }
  const presented = bearer(c.req.header("authorization"));
  // Hash both sides so the comparison is over equal lengths and reveals nothing by timing.
  if (!presented || !constantTimeEqual(await sha256Hex(presented), await sha256Hex(expected))) {
    throw unauthorized("Admin routes need `Authorization: Bearer <ADMIN_TOKEN>`.");
  }
  await next();
});

export const requireProject = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const credentials = parseProjectCredentials(header);
  if (!credentials) {
    throw unauthorized(
      "Send the project's API key as `Authorization: Bearer <apiKey>` (or `Basic base64(projectId:apiKey)`).",
    );
  }
  const owner = await verifyKey(c.var.db, credentials.apiKey, c.var.config.KEY_CACHE_SECONDS);
  if (!owner || (credentials.projectId !== undefined && credentials.projectId !== owner.projectId)) {
    throw unauthorized("The API key is unknown or revoked (or does not belong to the project named in Basic auth).");
  }
  c.set("projectId", owner.projectId);
  c.set("keyId", owner.keyId);
  await next();
});

function bearer(header: string | undefined): string | undefined {
  const match = header && /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export function parseProjectCredentials(
  header: string | undefined,
): { apiKey: string; projectId?: string } | undefined {
  const token = bearer(header);
  if (token) return { apiKey: token };
  const basic = header && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic) return undefined;
  let decoded: string;
  try {
    decoded = atob(basic[1]!);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { projectId: decoded.slice(0, colon), apiKey: decoded.slice(colon + 1) };
}
