// The web page with a large swarm in headless Chromium: how long after navigation the services
// table is first shown (the page's Performance mark `maiev:services-table`), and how many bytes
// the page and the services list take on the wire. The page is served by bench/web_page_server
// (the real API and embedded page over N fake services, the cycle running once a second).
// Cold loads use a fresh browser context each (empty cache); warm loads reload in one context
// (each file revalidated: 304).
//
//   node bench/web_first_table.mjs [SERVICES] [LOADS]   (defaults 1000, 7)
// Environment: MAIEV_BUILD_DIR (default build), CHROMIUM (default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const services = Number(process.argv[2] ?? 1000);
const loads = Number(process.argv[3] ?? 7);
const build = path.resolve(process.env.MAIEV_BUILD_DIR ?? 'build');
const require = createRequire(path.join(build, 'web', 'package.json'));
const { chromium } = require('playwright-core');

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
}

async function startServer() {
  const child = spawn(path.join(build, 'bench', 'web_page_server'), [String(services)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  for await (const line of lines) {
    const m = line.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
    if (m) return { child, url: m[1] };
  }
  throw new Error('web_page_server did not start');
}

// One load: ms to the first table, rows shown, bytes of the page's files and of the list.
async function load(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('maiev:services-table').length > 0, null, { timeout: 30000 });
  return page.evaluate(() => {
    const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
    const files = entries.filter((e) => !new URL(e.name).pathname.startsWith('/api/'));
    const list = entries.find((e) => new URL(e.name).pathname === '/api/v1/services');
    return {
      ms: performance.getEntriesByName('maiev:services-table')[0].startTime,
      rows: document.querySelectorAll('#services tbody tr').length,
      pageBytes: files.reduce((n, e) => n + e.transferSize, 0),
      listBytes: list?.encodedBodySize ?? 0,
      listDecoded: list?.decodedBodySize ?? 0,
    };
  });
}

const server = await startServer();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const cold = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    cold.push(await load(await context.newPage(), `${server.url}/`));
    await context.close();
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await load(page, `${server.url}/`);
  const warm = [];
  for (let i = 0; i < loads; i++) warm.push(await load(page, `${server.url}/`));
  await context.close();

  const first = cold[0];
  console.log(`${services} services, ${first.rows} rows shown; ${loads} loads each`);
  console.log(`page files: ${first.pageBytes} bytes transferred (cold, headers included); the services list: ${first.listBytes} bytes compressed (${first.listDecoded} decoded)`);
  for (const [name, runs] of [['cold (empty cache)', cold], ['warm (revalidated)', warm]]) {
    const ms = runs.map((r) => r.ms);
    console.log(`time to first table, ${name}: median ${median(ms).toFixed(0)} ms, min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}`);
  }
  console.log(`warm loads transfer ${median(warm.map((r) => r.pageBytes))} bytes of page files (304s)`);
} finally {
  await browser.close();
  server.child.stdin.end();
}
