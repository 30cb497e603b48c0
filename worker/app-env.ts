/** @module The Hono environment shared by every route: bindings and per-request variables. */
import type { Config } from "./config";
import type { Db } from "./storage/db";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    db: Db;
    /** Set by the project auth middleware. */
    projectId: string;
    keyId: string;
  };
}
