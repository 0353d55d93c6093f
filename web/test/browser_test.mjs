// The web page in a real browser: Debian's Chromium, headless, driven by playwright-core,
// against a real `maiev serve` on the local stack (scripts/stack.sh: dockerd in swarm mode,
// RabbitMQ, the registry). CTest runs it as `web_browser_test` (label e2e, fixture `stack`).
//
// It deploys a worker service that scales on its queue's backlog and a service pinned at 1.0.0
// whose 1.1.0 waits for approval, starts maiev, and checks that the page
//   - shows the worker in the services table with its replicas (and how fast: the Performance
//     API's mark of the first table);
//   - shows a scale-up live, through the event stream, within 1 s of the decision;
//   - shows the service's chart and its decisions with their reasons;
//   - asks for the API token, asks again when it is refused, and shows the refusal inline;
//   - pauses the service (the state shown changes) and shows the API's error of a scale beyond
//     max inline;
//   - shows the catalog, approves the pending plan, whose step then runs to done, aborts the
//     next one, and shows a plan's steps;
//   - shows "leading" on that maiev, and on a second one started with --read-token (a standby:
//     the first holds the lease) asks for a token before it shows anything, takes the read
//     token for the table and the event stream, shows "standby" naming the leader, and refuses
//     a mutation with the read token.
// Screenshots go to $MAIEV_ARTIFACTS (PNG). Everything it started is removed at the end.
//
// Environment: MAIEV_EXE, MAIEV_LOADGEN (the built binaries), MAIEV_ARTIFACTS (a directory),
// MAIEV_WEB_MODULES (node_modules holding playwright-core; default: resolved from here),
// CHROMIUM (default /usr/bin/chromium), MAIEV_STACK_DIR (default /tmp/maiev-stack).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(process.env.MAIEV_WEB_MODULES ? path.resolve(process.env.MAIEV_WEB_MODULES, '..', 'package.json') : import.meta.url);
const { chromium } = require('playwright-core');

const EXE = need('MAIEV_EXE');
const LOADGEN = need('MAIEV_LOADGEN');
const ARTIFACTS = process.env.MAIEV_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'maiev-web-'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STACK_DIR = process.env.MAIEV_STACK_DIR || '/tmp/maiev-stack';
const DOCKER_HOST = `unix://${STACK_DIR}/docker.sock`;
const MANAGEMENT = 'http://127.0.0.1:15672';
const REGISTRY = '127.0.0.1:5000';
const WORKER_IMAGE = `${REGISTRY}/maiev-worker:worker-1.0.0`;

const TOKEN = 'web-e2e-token';
const READ_TOKEN = 'web-e2e-read-token';
const SUFFIX = String(process.pid);
const WORKER = `web-e2e-${SUFFIX}`; // scales on its queue of the same name
const APP = `web-e2e-app-${SUFFIX}`; // pinned at 1.0.0, its 1.1.0 waits for approval
const MAX = 4;

// Deadlines (ms) of what the test waits for.
const SERVICE_START_MS = 60000;
const MAIEV_START_MS = 30000;
const DISCOVERY_MS = 30000;
const SCALE_UP_MS = 30000;
const PLAN_MS = 60000;
const UI_MS = 10000;
// What "live" means: a decision shows in the page within this much of its time.
const LIVE_MS = 1000;

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const started = Date.now();
function step(text) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(what, ms, fn) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (last: ${last?.message ?? JSON.stringify(last)})`);
    await sleep(200);
  }
}

function docker(...args) {
  return execFileSync('docker', ['-H', DOCKER_HOST, ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } }).trim();
}

function tryDocker(...args) {
  try {
    return docker(...args);
  } catch {
    return null;
  }
}

async function management(method, p) {
  const res = await fetch(MANAGEMENT + p, { method, headers: { Authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
  return res.ok && method === 'GET' ? res.json() : null;
}

// ---------------------------------------------------------------------------------------------
// What the test deploys

function workerConfig(queue) {
  return {
    min: 1,
    max: MAX,
    scale: {
      resources: [{ name: 'rmq', monitorer: 'monitorer_rabbitmq', identifier: queue }],
      rules: [
        { name: 'backlog', expression: 'rmq:waiting > 0' },
        { name: 'empty', expression: 'rmq:exists and rmq:waiting == 0' },
        { name: 'empty_long', expression: 'rules:empty and rules:empty:since > "30s"' },
      ],
      scale_up: 'rules:backlog',
      scale_down: 'rules:empty_long',
    },
    policy: { reapply_interval: '1s' },
  };
}

function createService(name, image, labels, env) {
  const args = ['service', 'create', '-d', '-q', '--name', name, '--network', 'host', '--label', 'maiev.test=1', '--stop-grace-period', '2s', '--update-monitor', '1s', '--replicas', '1'];
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries({ WORKER_QUEUE: name, RABBITMQ_HOST: '127.0.0.1', RABBITMQ_PORT: '5672', ...env })) args.push('-e', `${k}=${v}`);
  docker(...args, image);
}

// Pushes REGISTRY/repo:version: the worker image with a fixed size of 1 and a label of its own,
// so that each version has its own digest.
function pushVersion(repo, version) {
  const tag = `${REGISTRY}/${repo}:${version}`;
  execFileSync('docker', ['-H', DOCKER_HOST, 'build', '-q', '--label', 'maiev.scale_config={"min":1,"max":1}', '--label', `maiev.version=${version}`, '-t', tag, '-'], {
    input: `FROM ${WORKER_IMAGE}\n`,
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  docker('push', '-q', tag);
}

function removeService(name) {
  tryDocker('service', 'rm', name);
}

// ---------------------------------------------------------------------------------------------
// maiev

class Maiev {
  // `extra`: more arguments of `maiev serve`; `name` tells the files of two instances apart.
  constructor(dir, { extra = [], name = 'maiev' } = {}) {
    this.dir = dir;
    this.extra = extra;
    this.name = name;
    this.log = path.join(dir, `${name}.log`);
    this.port = 0;
  }

  async start() {
    const out = fs.openSync(this.log, 'a');
    this.child = spawn(
      EXE,
      ['serve', '--store', path.join(this.dir, `${this.name}.db`), '--listen', '127.0.0.1:0', '--interval', '1', '--counts-interval', '1', '--stats-interval', '1', '--docker-host', DOCKER_HOST, '--rabbitmq-host', '127.0.0.1', '--rabbitmq-port', '5672', '--rabbitmq-management-url', MANAGEMENT, '--registry-poll-interval', '1', '--api-token', TOKEN, ...this.extra],
      { stdio: ['ignore', out, out] },
    );
    await eventually('maiev ready', MAIEV_START_MS, async () => {
      if (this.child.exitCode !== null) throw new Error(`maiev exited:\n${this.logText()}`);
      const m = this.logText().match(/maiev serving on http:\/\/127\.0\.0\.1:(\d+)/);
      if (!m) return false;
      this.port = Number(m[1]);
      const res = await fetch(`${this.url}/readyz`);
      return res.status === 200;
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async get(p) {
    const res = await fetch(this.url + p);
    assert.equal(res.status, 200, `GET ${p}: ${res.status}`);
    return res.json();
  }

  logText() {
    try {
      return fs.readFileSync(this.log, 'utf8');
    } catch {
      return '';
    }
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const end = Date.now() + 20000;
    while (this.child.exitCode === null && Date.now() < end) await sleep(50);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// The page

async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  step(`screenshot ${file}`);
}

// Answers the token dialog: `token` entered and saved with Enter. A refused token opens the
// dialog again at once, so only an accepted one is waited for to close it.
async function enterToken(page, token, { refused = false } = {}) {
  const dialog = page.locator('#token-dialog');
  await dialog.waitFor({ state: 'visible', timeout: UI_MS });
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  if (refused) {
    await page.locator('#token-reason', { hasText: 'refused' }).waitFor({ timeout: UI_MS });
    await dialog.waitFor({ state: 'visible', timeout: UI_MS });
  } else {
    await dialog.waitFor({ state: 'hidden', timeout: UI_MS });
  }
}

function replicasCell(page, name) {
  return page.locator(`#services tr[data-service="${name}"] td[data-col="replicas"]`);
}

// The page's own files loaded so far (not the API's answers): how many, bytes on the wire and
// decoded.
function pageSize(page) {
  return page.evaluate(() => {
    const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')].filter((e) => !new URL(e.name).pathname.startsWith('/api/'));
    return { encoded: entries.reduce((n, e) => n + e.encodedBodySize, 0), decoded: entries.reduce((n, e) => n + e.decodedBodySize, 0), files: entries.length };
  });
}

async function checkServicesTable(page, maiev) {
  await page.goto(`${maiev.url}/`);
  await replicasCell(page, WORKER).waitFor({ timeout: UI_MS });
  assert.equal(await replicasCell(page, WORKER).textContent(), '1');
  await page.locator(`#services tr[data-service="${WORKER}"] .badge`, { hasText: 'monitored' }).waitFor({ timeout: DISCOVERY_MS });
  const firstTable = await page.evaluate(() => performance.getEntriesByName('maiev:services-table')[0]?.startTime);
  assert.ok(firstTable > 0, 'the page marks its first table');
  step(`time to first table: ${firstTable.toFixed(0)} ms after navigation`);
  await page.locator('#live[data-state="live"]').waitFor({ timeout: UI_MS });
  await page.locator(`#services tr[data-service="${WORKER}"] svg.spark`).waitFor({ timeout: UI_MS });
  const size = await pageSize(page);
  step(`the services page: ${size.files} files, ${size.encoded} bytes compressed (${size.decoded} decoded)`);
  return firstTable;
}

// A burst on the worker's queue; the page must show the new replicas within LIVE_MS of the
// decision's time, without a reload.
async function checkLiveScaleUp(page, maiev) {
  await page.evaluate((name) => {
    window.__replicasShown = null;
    const tbody = document.querySelector('#services tbody');
    const seen = () => {
      const cell = tbody.querySelector(`tr[data-service="${name}"] td[data-col="replicas"]`);
      const value = Number(cell?.textContent);
      if (!window.__replicasShown && value > 1) window.__replicasShown = { at: Date.now(), value };
    };
    new MutationObserver(seen).observe(tbody, { subtree: true, childList: true, characterData: true });
  }, WORKER);
  execFileSync(LOADGEN, ['--queue', WORKER, '--burst', '600'], { env: { ...process.env, RABBITMQ_HOST: '127.0.0.1', RABBITMQ_PORT: '5672' }, stdio: 'ignore' });
  step('published 600 messages');
  const shown = await eventually('the page shows a scale-up', SCALE_UP_MS, () => page.evaluate(() => window.__replicasShown));
  const { decisions } = await maiev.get(`/api/v1/decisions?service=${WORKER}&direction=up&limit=1000`);
  const decision = decisions.find((d) => d.new_replicas === shown.value);
  assert.ok(decision, `a decision to ${shown.value} replicas: ${JSON.stringify(decisions)}`);
  const lag = shown.at - Date.parse(decision.time);
  step(`scale-up to ${shown.value} shown ${lag} ms after the decision (${decision.time})`);
  assert.ok(lag <= LIVE_MS, `the scale-up showed ${lag} ms after the decision, more than ${LIVE_MS} ms`);
  await eventually('the worker at max', SCALE_UP_MS, async () => (await replicasCell(page, WORKER).textContent()) === String(MAX));
  return lag;
}

async function checkServiceView(page) {
  await page.click(`#services a[href="#/services/${WORKER}"]`);
  await page.locator('.chart canvas').first().waitFor({ timeout: UI_MS });
  await page.locator('#decisions tbody tr', { hasText: 'scale_up' }).first().waitFor({ timeout: UI_MS });
  const rows = await page.locator('#decisions tbody tr').count();
  assert.ok(rows >= 1, 'decisions are listed');
  const why = await page.locator('#decisions tbody tr td.why').first().textContent();
  assert.match(why, /scale_up: rules:backlog/);
  await page.locator('.facts', { hasText: `1 to ${MAX}` }).waitFor({ timeout: UI_MS });
  const size = await pageSize(page);
  step(`with the chart: ${size.files} files, ${size.encoded} bytes compressed (${size.decoded} decoded)`);
}

// A refused token asks again and, cancelled, shows the refusal; the right one pauses.
async function checkTokenAndPause(page, maiev) {
  const output = page.locator('.action-output');
  await page.click('#pause-button');
  await enterToken(page, 'not-the-token', { refused: true });
  await page.click('#token-dialog button[value="cancel"]');
  await output.filter({ hasText: 'unauthorized' }).waitFor({ timeout: UI_MS });
  assert.match(await output.getAttribute('class'), /error/);
  step(`a wrong token is shown inline: ${await output.textContent()}`);

  await page.click('#pause-button');
  await enterToken(page, TOKEN);
  await page.locator('#service-title .badge', { hasText: 'paused' }).waitFor({ timeout: UI_MS });
  assert.equal((await maiev.get(`/api/v1/services/${WORKER}`)).state, 'paused');
  assert.equal((await page.locator('#pause-button').textContent()).trim(), 'Resume autoscaling');
  step('paused from the page');
}

async function checkScaleBeyondMax(page) {
  await page.fill('#scale-replicas', String(MAX + 3));
  await page.click('form.scale button[type="submit"]');
  const error = page.locator('.action-output.error', { hasText: 'force' });
  await error.waitFor({ timeout: UI_MS });
  step(`a scale beyond max is refused inline: ${await error.textContent()}`);
  assert.equal(await page.locator('#token-dialog').isVisible(), false, 'the token is asked once');
}

async function checkUpgrades(page) {
  await page.click('nav a[href="#/upgrades"]');
  const entry = page.locator(`#catalog tr[data-service="${APP}"]`);
  await entry.waitFor({ timeout: PLAN_MS });
  await entry.filter({ hasText: '1.1.0' }).waitFor({ timeout: PLAN_MS });
  await page.locator(`#catalog tr[data-service="${WORKER}"]`, { hasText: '1.0.0' }).waitFor({ timeout: UI_MS });
  const plan = page.locator('#plans tbody tr', { hasText: APP });
  await plan.filter({ hasText: 'pending' }).waitFor({ timeout: PLAN_MS });
  await screenshot(page, 'upgrades-pending.png');
  await plan.locator('button', { hasText: 'Approve' }).click();
  await plan.filter({ hasText: 'done' }).waitFor({ timeout: PLAN_MS });
  await plan.locator('text=1/1').waitFor({ timeout: UI_MS });
  step('the plan was approved from the page and ran to done');
  await entry.filter({ hasText: '1.1.0 (at target)' }).waitFor({ timeout: PLAN_MS });

  // A newer version makes a new plan, which waits for approval: aborted from the page.
  pushVersion(APP, '1.2.0');
  const next = page.locator('#plans tbody tr', { hasText: '1.1.0 → 1.2.0' });
  await next.filter({ hasText: 'pending' }).waitFor({ timeout: PLAN_MS });
  await next.first().locator('button', { hasText: 'Abort' }).click();
  await next.filter({ hasText: 'aborted' }).first().waitFor({ timeout: UI_MS });
  step('the next plan was aborted from the page');
}

// One plan's steps (#/plans/ID), reached from the list.
async function checkPlanView(page) {
  await page.locator('#plans tbody tr', { hasText: '1.0.0 → 1.1.0' }).locator('a').click();
  const row = page.locator('#steps tbody tr', { hasText: APP });
  await row.filter({ hasText: 'done' }).waitFor({ timeout: UI_MS });
  assert.match(await row.textContent(), /1\.0\.0 → 1\.1\.0/);
}

// The leader's badge on the first maiev; a second one with --read-token, a standby since the
// first holds the lease, in a fresh tab (no token kept).
async function checkLeadershipAndReadToken(browser, maiev, standby) {
  const first = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await first.goto(`${maiev.url}/`);
  await first.locator('#leader[data-leading="true"]', { hasText: 'leading' }).waitFor({ timeout: UI_MS });
  await first.close();
  step('the acting maiev shows "leading"');

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${standby.url}/`);
  await page.locator('#token-reason', { hasText: 'read token' }).waitFor({ timeout: UI_MS });
  await screenshot(page, 'read-token.png');
  await enterToken(page, 'not-the-read-token', { refused: true });
  await enterToken(page, READ_TOKEN);
  await replicasCell(page, WORKER).waitFor({ timeout: UI_MS });
  await page.locator('#live[data-state="live"]').waitFor({ timeout: UI_MS });
  const badge = page.locator('#leader[data-leading="false"]');
  await badge.waitFor({ timeout: UI_MS });
  const { leader, self } = await (await fetch(`${standby.url}/api/v1/leader`, { headers: { Authorization: `Bearer ${READ_TOKEN}` } })).json();
  assert.notEqual(leader, self);
  assert.equal(await badge.textContent(), `standby · leader ${leader}`);
  step(`the standby, with the read token: the table, the stream live, "${await badge.textContent()}"`);
  await screenshot(page, 'standby.png');

  // The read token changes nothing: a pause with it is refused and the API token is asked for.
  await page.click(`#services a[href="#/services/${WORKER}"]`);
  await page.click('#pause-button');
  await page.locator('#token-reason', { hasText: 'refused' }).waitFor({ timeout: UI_MS });
  await page.click('#token-dialog button[value="cancel"]');
  await page.locator('.action-output', { hasText: 'unauthorized' }).waitFor({ timeout: UI_MS });
  step('a pause with the read token was refused');
  await context.close();
}

// ---------------------------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maiev-web-e2e-'));
  const maiev = new Maiev(dir);
  const standby = new Maiev(dir, { name: 'standby', extra: ['--read-token', READ_TOKEN] });
  let browser = null;
  let page = null;
  try {
    step(`deploying ${WORKER} and ${APP}`);
    createService(WORKER, WORKER_IMAGE, { 'maiev.scale_config': JSON.stringify(workerConfig(WORKER)) }, { WORKER_WORK_MS: '40' });
    pushVersion(APP, '1.0.0');
    createService(APP, `${REGISTRY}/${APP}:1.0.0`, { 'maiev.update': 'approve' }, {});
    pushVersion(APP, '1.1.0');
    await eventually('the worker consumes', SERVICE_START_MS, async () => (await management('GET', `/api/queues/%2F/${WORKER}`))?.consumers >= 1);
    await maiev.start();
    step(`maiev serves on ${maiev.url}`);
    await eventually('maiev monitors the worker', DISCOVERY_MS, async () => (await maiev.get(`/api/v1/services/${WORKER}`)).state === 'monitored');

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') console.log(`console: ${m.text()}`);
    });

    await checkServicesTable(page, maiev);
    await checkLiveScaleUp(page, maiev);
    await screenshot(page, 'services.png');
    await checkServiceView(page);
    await screenshot(page, 'service.png');
    await checkTokenAndPause(page, maiev);
    await checkScaleBeyondMax(page);
    await screenshot(page, 'service-actions.png');
    await checkUpgrades(page);
    await screenshot(page, 'upgrades.png');
    await checkPlanView(page);
    await screenshot(page, 'plan.png');

    await standby.start();
    await checkLeadershipAndReadToken(browser, maiev, standby);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${maiev.url}/#/`);
    await replicasCell(page, WORKER).waitFor({ timeout: UI_MS });
    await screenshot(page, 'services-phone.png');
    assert.deepEqual(problems, []);
    step('all checks passed');
  } catch (e) {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`FAILED: ${e.stack ?? e}`);
    console.error(`maiev's log (last lines):\n${maiev.logText().split('\n').slice(-40).join('\n')}`);
    process.exitCode = 1;
  } finally {
    await browser?.close();
    await standby.stop();
    await maiev.stop();
    removeService(WORKER);
    removeService(APP);
    await management('DELETE', `/api/queues/%2F/${WORKER}`).catch(() => {});
    await management('DELETE', `/api/queues/%2F/${APP}`).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    step(`screenshots in ${ARTIFACTS}`);
  }
}

await main();
