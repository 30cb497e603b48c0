/**
 * @module The support agent's v2 as a module for `flywheel eval --agent-module`: its
 * default export answers one dataset case (see demo/candidate.mjs).
 */
import { candidate } from "./candidate.mjs";

export default candidate("v2");
