/** Types of client/index.mjs, generated from client/src into client/dist. */
export * from "./dist/index.js";
