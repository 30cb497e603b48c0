#!/usr/bin/env node
/**
 * @module Builds the client from `client/src/*.ts` into `client/dist/`: one ES module
 * bundle (`index.mjs`, no dependencies, for Node, Workers and browsers) and its type
 * declarations. The output is committed so `import ... from "./client/index.mjs"`
 * works with no build step; `client/dist.test.ts` fails when it is stale.
 *
 * Usage: `npm run build:client`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const BANNER = "// Generated from client/src by `npm run build:client`. Do not edit.";

/** @returns {Promise<Map<string, string>>} file name (relative to client/dist) -> text */
export async function buildClient() {
  const files = new Map();
  const result = await build({
    entryPoints: [path.join(here, "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    banner: { js: BANNER },
    logLevel: "warning",
    outfile: path.join(here, "dist", "index.mjs"),
  });
  for (const file of result.outputFiles) files.set(path.relative(path.join(here, "dist"), file.path), file.text);

  const configFile = path.join(here, "tsconfig.json");
  const config = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} },
  );
  if (!config) throw new Error(`cannot read ${configFile}`);
  const program = ts.createProgram(config.fileNames, config.options);
  const emitted = program.emit(undefined, (fileName, text) => {
    files.set(path.relative(path.join(here, "dist"), fileName), `${BANNER}\n${text}`);
  });
  const errors = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
  if (errors.length > 0) {
    throw new Error(
      ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => here,
        getNewLine: () => "\n",
      }),
    );
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildClient();
  const dist = path.join(here, "dist");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  for (const [name, text] of files) writeFileSync(path.join(dist, name), text);
  console.log(`client/dist: ${[...files.keys()].sort().join(", ")}`);
}
