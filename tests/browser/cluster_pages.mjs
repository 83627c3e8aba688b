// tests/browser/cluster_pages.mjs - the standalone cluster's pages in a real browser: Debian's
// chromium, headless, driven by playwright-core (from $KILN_PEERS_DIR, default
// ~/.cache/kiln-peers; .ci/run installs both). Started by tests/e2e/cluster_web.sh --browser,
// which runs a master, a worker and two applications named as XSS attempts.
//
//   node tests/browser/cluster_pages.mjs MASTER_URL ARTIFACT_DIR XSS1 XSS2
//
// Checks, on the master's page, the worker's page and an executor's log page: no console
// error, no page error, no CSP violation, no failed request; no dialog ever opens and no
// element the XSS strings would inject exists, while their text is visible; a click on a
// table's header sorts its rows (numerically for numeric columns; twice: reversed); the links
// lead master -> worker -> executor log. Screenshots go to ARTIFACT_DIR. Exits 2 when
// playwright-core is absent, 1 on a failed check.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createRequire } from 'module';

const [masterUrl, artifacts, xss1, xss2] = process.argv.slice(2);
const peers = process.env.KILN_PEERS_DIR || path.join(os.homedir(), '.cache', 'kiln-peers');
let chromium;
try {
  ({ chromium } = createRequire(path.join(peers, 'package.json'))('playwright-core'));
} catch (e) {
  console.error(`cluster_pages.mjs: playwright-core is not installed in ${peers}`);
  process.exit(2);
}

const problems = [];
function check(cond, what) {
  if (!cond) problems.push(what);
}

const browser = await chromium.launch({
  executablePath: process.env.KILN_CHROMIUM || '/usr/bin/chromium',
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  // CSP violations are reported to the page as events: collect them there.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  async function noCsp(where) {
    const v = await page.evaluate(() => window.__csp);
    check(v.length === 0, `${where}: CSP violations: ${v.join(', ')}`);
  }

  // The rows' values in column col of the table id, as shown.
  async function column(id, col) {
    return page.$$eval(`#${id} tbody tr:not(.empty)`, (rows, c) =>
      rows.map((r) => r.cells[c].textContent), col);
  }
  async function sortKeys(id, col) {
    return page.$$eval(`#${id} tbody tr:not(.empty)`, (rows, c) =>
      rows.map((r) => r.cells[c].getAttribute('data-sort') ?? r.cells[c].textContent), col);
  }

  // ---- The master's page ----
  await page.goto(masterUrl, { waitUntil: 'load' });
  check((await page.title()).startsWith('kiln Master at'), `master title: ${await page.title()}`);
  const body = await page.textContent('body');
  check(body.includes(xss1), 'the first application name is not shown as text');
  check(body.includes(xss2), 'the second application name is not shown as text');
  check((await page.$$('script')).length === 1, 'a script element was injected');
  check((await page.$$('img')).length === 0, 'an img element was injected');
  check((await page.$$('[onerror]')).length === 0, 'an onerror attribute was injected');
  // Sorting: the running applications by name (text), then by cores (numeric), both ways.
  const names = await column('running-apps', 1);
  check(names.length === 2, `two running applications expected, got ${names.length}`);
  await page.click('#running-apps th:nth-child(2)');
  const asc = await column('running-apps', 1);
  const want = [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  check(JSON.stringify(asc) === JSON.stringify(want), `sorted by name: ${asc} (expected ${want})`);
  check((await page.getAttribute('#running-apps th:nth-child(2)', 'aria-sort')) === 'ascending', 'no aria-sort');
  await page.click('#running-apps th:nth-child(2)');
  const desc = await column('running-apps', 1);
  check(JSON.stringify(desc) === JSON.stringify([...want].reverse()), `reversed: ${desc}`);
  await page.click('#running-apps th:nth-child(1)');
  const ids = await column('running-apps', 0);
  check(JSON.stringify(ids) === JSON.stringify([...ids].sort()), `sorted by id: ${ids}`);
  await page.click('#workers th:nth-child(4)');
  const cores = (await sortKeys('workers', 3)).map(Number);
  check(cores.every((v, i) => i === 0 || cores[i - 1] <= v), `workers by cores: ${cores}`);
  await noCsp('master');
  await page.screenshot({ path: path.join(artifacts, 'master.png'), fullPage: true });

  // ---- master -> worker ----
  const workerLink = await page.$('#workers tbody a');
  check(workerLink !== null, 'no link to a worker page');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), workerLink.click()]);
  check((await page.title()).startsWith('kiln Worker'), `worker title: ${await page.title()}`);
  const execIds = await column('executors', 0);
  check(execIds.length === 2, `two executors expected on the worker, got ${execIds.length}`);
  await page.click('#executors th:nth-child(2)');
  const apps = await column('executors', 1);
  check(JSON.stringify(apps) === JSON.stringify([...apps].sort()), `executors by application: ${apps}`);
  await noCsp('worker');
  await page.screenshot({ path: path.join(artifacts, 'worker.png'), fullPage: true });

  // ---- worker -> an executor's stdout ----
  const logLink = await page.$('#executors tbody a[href*="logType=stdout"]');
  check(logLink !== null, 'no link to an executor log');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), logLink.click()]);
  const log = await page.textContent('pre.log');
  check(log.includes('executor-output-line'), 'the log page does not show the executor output');
  await noCsp('log');
  await page.screenshot({ path: path.join(artifacts, 'executor-log.png'), fullPage: true });

  // ---- master -> an application's UI (its name links there) ----
  await page.goto(masterUrl, { waitUntil: 'load' });
  const appLink = await page.$('#running-apps tbody a[href^="http"]');
  check(appLink !== null, 'no running application links to its UI');
  if (appLink) {
    const linkName = await appLink.textContent();
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), appLink.click()]);
    check(/\/jobs\/$/.test(page.url()), `the application UI did not open its Jobs page: ${page.url()}`);
    const appBody = await page.textContent('body');
    check(appBody.includes(linkName), 'the linked UI is not that application\'s');
    check((await page.$$('img')).length === 0, 'an img element was injected in the application UI');
    await noCsp('application UI');
    await page.screenshot({ path: path.join(artifacts, 'master-to-app-ui.png'), fullPage: true });
  }
} finally {
  await browser.close();
}
if (problems.length) {
  for (const p of problems) console.error(`FAIL: ${p}`);
  process.exit(1);
}
console.log('browser: master, worker, log and linked application UI pages checked');
fs.writeFileSync(path.join(artifacts, 'browser.ok'), 'ok\n');
