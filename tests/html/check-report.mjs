// Opens Interlock's HTML report in headless Chromium and checks what a QA person sees:
//
//   node check-report.mjs REPORT.html REPORT.json SCREENSHOT.png
//
// - the page loads from file:// and attempts no network request (every request is routed and
//   any URL that is not file:// fails the check; Content-Security-Policy violations too);
// - the verdict and the counts shown equal the JSON report's;
// - the cause table is the first thing below the toolbar: one row per cause of the JSON report
//   that fails the gate, in its order, code in backticks shown as code, each row opening to
//   links that lead to its exchanges;
// - a skipped exchange is shown as skipped;
// - every exchange of the JSON report is on the page with the same outcome;
// - the changed field of every failing exchange is highlighted and visible on the right side
//   (removed on the recorded side, added on the live side, changed on both);
// - recorded text never runs as markup (only the report's own script exists);
// - "Only failures and errors" hides passed exchanges;
// - a full-page screenshot is saved.
//
// The browser is Debian's chromium (CHROMIUM overrides the path). Exit 0 when every check
// holds, 1 with the failed checks listed otherwise, 2 on bad arguments.

import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [htmlPath, jsonPath, screenshotPath] = process.argv.slice(2);
if (!htmlPath || !jsonPath || !screenshotPath) {
  console.error('usage: node check-report.mjs REPORT.html REPORT.json SCREENSHOT.png');
  process.exit(2);
}

const report = JSON.parse(readFileSync(jsonPath, 'utf8'));
const failures = [];
let passed = 0;
function check(ok, what) {
  if (ok) {
    passed += 1;
  } else {
    failures.push(what);
  }
}

/// A CSS attribute value in double quotes.
function cssString(text) {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/// Which side and class mark a finding's field, as the report promises.
function expectedMarks(finding) {
  const pointer = typeof finding.path === 'string' && finding.path.startsWith('/');
  if (finding.severity !== 'failure' || finding.location.kind !== 'response' || !pointer) {
    return [];
  }
  switch (finding.kind) {
    case 'field-removed':
      return [['recorded', 'hl-removed']];
    case 'field-added':
      return [['live', 'hl-added']];
    case 'type-changed':
    case 'value-changed':
    case 'format-drift':
      return [['recorded', 'hl-changed'], ['live', 'hl-changed']];
    default:
      return [];
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const network = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) {
      return route.continue();
    }
    network.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('file:') && !network.includes(url)) {
      network.push(url);
    }
  });
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });

  await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load' });

  // The verdict and the counts, as shown.
  const verdict = page.locator('#verdict');
  check(await verdict.isVisible(), 'the verdict is visible');
  check(
    (await verdict.getAttribute('data-verdict')) === report.verdict,
    `verdict ${await verdict.getAttribute('data-verdict')} equals the JSON report's ${report.verdict}`,
  );
  check(
    (await verdict.getAttribute('data-exit-code')) === String(report.exit_code),
    `exit code equals the JSON report's ${report.exit_code}`,
  );
  check(
    (await verdict.innerText()).includes(`gate ${report.verdict}`),
    `the heading says "gate ${report.verdict}"`,
  );
  for (const [key, value] of Object.entries(report.counts)) {
    const shown = page.locator(`[data-count="${key}"] .n`);
    const text = (await shown.count()) === 1 ? (await shown.innerText()).trim() : '(missing)';
    check(text === String(value), `count ${key}: shown ${text}, JSON report ${value}`);
  }
  const dataCounts = JSON.parse((await page.locator('#counts').getAttribute('data-counts')) || '{}');
  check(
    JSON.stringify(dataCounts) === JSON.stringify(report.counts),
    `data-counts ${JSON.stringify(dataCounts)} equals ${JSON.stringify(report.counts)}`,
  );

  // The causes first: the same list as the JSON report's, in order, each opening to its
  // exchanges.
  const failingCauses = report.causes.filter((c) => c.rank !== 'info');
  const firstSection = await page.evaluate(() => {
    const toolbar = document.querySelector('nav.toolbar');
    let next = toolbar && toolbar.nextElementSibling;
    return next ? next.id : '(none)';
  });
  check(firstSection === 'causes', `the causes come right after the toolbar (found #${firstSection})`);
  const rows = page.locator('#causes tr.cause');
  check(
    (await rows.count()) === failingCauses.length,
    `the cause table has ${failingCauses.length} rows (found ${await rows.count()})`,
  );
  for (const [n, cause] of failingCauses.entries()) {
    const row = rows.nth(n);
    check((await row.getAttribute('data-cause')) === cause.id, `cause ${n + 1} is ${cause.id}`);
    const summary = row.locator('summary');
    const text = (await summary.innerText()).trim();
    check(text === cause.line.replace(/`/g, ''), `cause ${n + 1} reads "${text}"`);
    const codes = (cause.line.match(/`[^`]+`/g) || []).length;
    check(
      (await summary.locator('code').count()) === codes,
      `cause ${n + 1} shows its ${codes} code spans as code`,
    );
    const links = row.locator('ul.cause-exchanges a');
    check(!(await links.first().isVisible()), `cause ${n + 1} starts folded`);
    await summary.click();
    check(await links.first().isVisible(), `cause ${n + 1} opens to its exchanges`);
    const target = (await links.first().getAttribute('href')) || '';
    check(
      target.startsWith('#') && (await page.locator(target).count()) === 1,
      `cause ${n + 1} links to ${target} on the page`,
    );
  }

  // Every scenario and exchange, with its outcome; the changed fields highlighted.
  let marked = 0;
  for (const [si, scenario] of report.scenarios.entries()) {
    const section = page.locator(`#s${si}`);
    check(
      (await section.getAttribute('data-outcome')) === scenario.outcome,
      `scenario ${scenario.name} shows outcome ${scenario.outcome}`,
    );
    for (const [ei, exchange] of scenario.exchanges.entries()) {
      const block = page.locator(`#s${si}-e${ei}`);
      const label = `${scenario.name} ${exchange.name}`;
      check(
        (await block.getAttribute('data-outcome')) === exchange.outcome,
        `${label} shows outcome ${exchange.outcome}`,
      );
      for (const finding of exchange.findings) {
        for (const [side, cls] of expectedMarks(finding)) {
          const line = block.locator(`.side-${side} .line.${cls}[data-path=${cssString(finding.path)}]`).first();
          const visible = await line.isVisible();
          check(visible, `${label}: ${finding.kind} ${finding.path} is highlighted ${cls} on the ${side} side`);
          if (visible) {
            const background = await line.evaluate((el) => getComputedStyle(el).backgroundColor);
            check(
              background !== 'rgba(0, 0, 0, 0)' && background !== 'transparent',
              `${label}: the ${side} line of ${finding.path} has a highlight colour (${background})`,
            );
            marked += 1;
          }
        }
      }
    }
  }
  const failingExchanges = report.scenarios.flatMap((s) => s.exchanges).filter((e) => e.outcome === 'failed');
  if (failingExchanges.length > 0) {
    check(marked > 0, 'at least one changed field of a failing exchange is highlighted');
  }
  const skipped = report.scenarios.flatMap((s) => s.exchanges).filter((e) => e.outcome === 'skipped');
  for (const exchange of skipped) {
    const block = page.locator(`.exchange[data-outcome="skipped"][data-exchange=${cssString(exchange.name)}]`);
    check(
      (await block.locator('.badge.skipped').innerText()).trim() === 'skipped',
      `${exchange.name} is shown as skipped`,
    );
  }
  check(
    (await page.locator('.exchange').count()) === report.counts.exchanges,
    `the page lists all ${report.counts.exchanges} exchanges`,
  );

  // Recorded text is text: the report's own script is the only one, and nothing ran.
  const scripts = await page.evaluate(() => document.scripts.length);
  check(scripts === 1, `only the report's own script is on the page (found ${scripts})`);
  const pwned = await page.evaluate(() => window.__pwned);
  check(pwned === undefined, 'no recorded text ran as script');

  // The filter hides passed exchanges.
  const passedExchanges = page.locator('.exchange[data-outcome="passed"]');
  if ((await passedExchanges.count()) > 0) {
    await page.locator('#only-failures').check();
    check(!(await passedExchanges.first().isVisible()), '"Only failures and errors" hides passed exchanges');
    await page.locator('#only-failures').uncheck();
  }

  const csp = await page.evaluate(() => window.__cspViolations);
  check(csp.length === 0, `no Content-Security-Policy violation (${csp.join(', ')})`);
  check(network.length === 0, `no network request attempted (${network.join(', ')})`);
  check(pageErrors.length === 0, `no script error (${pageErrors.join('; ')})`);

  mkdirSync(dirname(resolve(screenshotPath)), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.error(`html report check: ${failures.length} failed, ${passed} passed`);
  for (const failure of failures) {
    console.error(`  FAILED: ${failure}`);
  }
  process.exit(1);
}
console.log(`html report check: ${passed} passed, 0 failed; screenshot ${screenshotPath}`);
