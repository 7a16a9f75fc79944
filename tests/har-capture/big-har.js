// Writes a large HAR for measuring `interlock import har` (not committed; see docs/import.md):
// the entries of ../fixtures/har/chromium.har repeated, with distinct ids, until the file
// reaches the requested size.
//
//   node big-har.js /tmp/big.har 100    # about 100 MB
'use strict';

const fs = require('fs');
const path = require('path');

const [out, megabytes = '100'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node big-har.js OUT.har [MEGABYTES]');
  process.exit(2);
}
const target = Number(megabytes) * 1024 * 1024;
const har = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'har', 'chromium.har'), 'utf8'));
const entries = har.log.entries;

const fd = fs.openSync(out, 'w');
const head = JSON.stringify({ ...har.log, entries: [] }).replace(/"entries":\[\].*$/, '');
fs.writeSync(fd, `{"log":${head}"entries":[\n`);
let written = 0;
let n = 0;
while (written < target) {
  const entry = JSON.parse(JSON.stringify(entries[n % entries.length]));
  entry.request.url = entry.request.url.replace('C-10023', `C-${100000 + n}`);
  const line = (n === 0 ? '' : ',\n') + JSON.stringify(entry);
  fs.writeSync(fd, line);
  written += line.length;
  n += 1;
}
fs.writeSync(fd, '\n]}}\n');
fs.closeSync(fd);
console.log(`wrote ${out}: ${n} entries, ${(fs.statSync(out).size / 1048576).toFixed(1)} MB`);
