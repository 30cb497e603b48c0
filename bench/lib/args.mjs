/** @module `--name value` command-line options for the bench and chaos scripts. */

/** @returns {Record<string, string>} */
export function parseOptions(argv = process.argv.slice(2)) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) continue;
    const next = argv[i + 1];
    options[argv[i].slice(2)] = next === undefined || next.startsWith("--") ? "1" : next;
  }
  return options;
}
