#!/usr/bin/env node
/**
 * @module Lists the import cycles among the TypeScript modules under the given folders
 * (default: worker/ and durable-objects/), counting `import type` too: a type import that
 * runs back up closes a cycle for a reader as surely as a value import does. Exits 1
 * when it finds one. Usage: `node scripts/import-cycles.mjs [folder...]`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const roots = process.argv.length > 2 ? process.argv.slice(2) : ["worker", "durable-objects"];
const files = roots.flatMap((root) => walk(resolve(root)));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function resolveImport(from, spec) {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec).replace(/\.js$/, "");
  for (const candidate of [`${base}.ts`, join(base, "index.ts")]) if (existsSync(candidate)) return candidate;
  return null;
}

const graph = new Map(
  files.map((file) => {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(IMPORT)].map((m) => resolveImport(file, m[1])).filter(Boolean);
    return [file, [...new Set(targets)]];
  }),
);

// Tarjan's strongly connected components: every component of more than one module is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
function connect(node) {
  const entry = { index, low: index, onStack: true };
  index++;
  state.set(node, entry);
  stack.push(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    const seen = state.get(next);
    if (!seen) {
      connect(next);
      entry.low = Math.min(entry.low, state.get(next).low);
    } else if (seen.onStack) entry.low = Math.min(entry.low, seen.index);
  }
  if (entry.low === entry.index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component);
  }
}
for (const file of graph.keys()) if (!state.has(file)) connect(file);

const cwd = process.cwd();
for (const cycle of cycles) console.log(`cycle: ${cycle.map((f) => relative(cwd, f)).join(" <-> ")}`);
console.log(`${graph.size} modules, ${cycles.length} import cycle(s)`);
process.exit(cycles.length > 0 ? 1 : 0);
