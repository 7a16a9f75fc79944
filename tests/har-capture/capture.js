// Regenerates the browser HAR fixtures in tests/fixtures/har/ with a real headless Chromium.
//
// A local server (node's http module) serves tests/fixtures/har/page.html and a small JSON API;
// the page calls the API with fetch, Playwright records the traffic with `recordHar`, and closing
// the context writes the HAR. With `--via-mitmproxy` the page is loaded through mitmproxy's
// `mitmdump` in reverse-proxy mode, and mitmproxy's own HAR export (`hardump`) is written too.
// Run from this folder:
//
//   npm install                     # playwright-core only; the browser is /usr/bin/chromium
//   node capture.js                 # writes ../fixtures/har/chromium.har
//   node capture.js --via-mitmproxy # also ../fixtures/har/mitmproxy.har (pip install mitmproxy)
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const { chromium } = require('playwright-core');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'har');
const { spawn } = require('child_process');
const net = require('net');

const VIA_MITMPROXY = process.argv.includes('--via-mitmproxy');
const OUT = VIA_MITMPROXY
  ? path.join(require('os').tmpdir(), 'interlock-chromium-via-mitmproxy.har')
  : path.join(FIXTURES, 'chromium.har');
const MITM_OUT = path.join(FIXTURES, 'mitmproxy.har');

// A 1x1 transparent PNG: a binary response body.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

const CUSTOMER = {
  id: 'C-10023',
  name: '深圳前海瑞丰供应链管理有限公司',
  email: 'li.wei@example.com',
  phone: '13812345678',
  status: 'active',
  created_at: '2026-03-02T09:15:00+08:00',
};

function json(res, status, body, extra = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extra });
  res.end(JSON.stringify(body));
}

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const cors = { 'access-control-allow-origin': '*' };
  if (url.pathname === '/') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'set-cookie': 'session=SESSION-COOKIE-SECRET-42; Path=/; HttpOnly',
    });
    res.end(fs.readFileSync(path.join(FIXTURES, 'page.html')));
  } else if (req.method === 'GET' && url.pathname === '/api/v1/customers/C-10023') {
    json(res, 200, CUSTOMER, { 'x-request-id': 'req-0001' });
  } else if (req.method === 'POST' && url.pathname === '/api/v1/customers') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => json(res, 201, { ...JSON.parse(body), id: 'C-10024' }));
  } else if (url.pathname === '/api/v1/customers') {
    const page = { items: [CUSTOMER], page: Number(url.searchParams.get('page') || 1), total: 1 };
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(zlib.gzipSync(JSON.stringify(page)));
  } else if (url.pathname === '/api/v1/customers/C-10023/logo.png') {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(PNG);
  } else if (url.pathname === '/api/v1/notes/welcome.txt') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Welcome, Li Wei.\nYour account manager will call you.\n');
  } else if (url.pathname === '/metrics/ping') {
    json(res, 200, { ok: true }, cors);
  } else {
    json(res, 404, { error: 'not_found', message: `no route for ${url.pathname}` });
  }
}

function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

// mitmdump as a reverse proxy in front of the API; it writes its HAR when it exits.
async function startMitmproxy(apiPort) {
  const port = await freePort();
  const child = spawn(
    'mitmdump',
    ['--mode', `reverse:http://127.0.0.1:${apiPort}`, '--listen-host', '127.0.0.1',
      '--listen-port', String(port), '--set', `hardump=${MITM_OUT}`, '--quiet'],
    { stdio: 'inherit' },
  );
  await waitForPort(port);
  return { port, child };
}

async function main() {
  const server = http.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiPort = server.address().port;
  const mitm = VIA_MITMPROXY ? await startMitmproxy(apiPort) : null;
  const port = mitm ? mitm.port : apiPort;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
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
  const context = await browser.newContext({ recordHar: { path: OUT, content: 'embed' } });
  const page = await context.newPage();
  const fragment = new URLSearchParams({
    token: 'SECRET-TOKEN-abc123',
    key: 'QUERY-KEY-SECRET-7',
    email: CUSTOMER.email,
    phone: CUSTOMER.phone,
    other: String(apiPort),
  });
  await page.goto(`http://localhost:${port}/#${fragment}`);
  await page.waitForFunction(() => document.body.dataset.done === 'yes', null, { timeout: 20000 });
  await context.close();
  await browser.close();
  if (mitm) {
    const exited = new Promise((resolve) => mitm.child.on('exit', resolve));
    mitm.child.kill('SIGINT');
    await exited;
    console.log(`wrote ${MITM_OUT}`);
  }
  server.close();
  console.log(`wrote ${OUT}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
