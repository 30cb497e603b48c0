/**
 * @module The client's entry point for plain JavaScript: `import { Flywheel } from
 * "./client/index.mjs"`. The code is built from `client/src` into `client/dist`.
 */
export * from "./dist/index.mjs";
