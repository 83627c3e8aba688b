// tests/browser/app_pages.mjs - the application web UI (src/ui/app_ui.c) and the history server
// (src/ui/history.c) in a real browser: Debian's chromium, headless, driven by playwright-core
// (from $KILN_PEERS_DIR, default ~/.cache/kiln-peers). Started by tests/e2e/app_ui_browser.sh,
// which runs tests/browser/ui_app.c: an application named XSS1 with a configuration value XSS2,
// a word count over a cached file (named "lines XSS1", its jobs described "wc XSS2") and a job
// failed with XSS2 in its message.
//
//   node tests/browser/app_pages.mjs live URL ARTIFACT_DIR XSS1 XSS2      (the running driver)
//   node tests/browser/app_pages.mjs history URL ARTIFACT_DIR XSS1 XSS2   (kiln history-server)
//
// On every page: no console error or warning, no page error, no CSP violation, no failed
// request or HTTP error; no dialog ever opens; no element the XSS strings would inject (no
// <img>, no onerror attribute, no <script> but /static/kiln.js) while their text is shown.
// live: every tab (Jobs, a job, Stages, a stage, SQL, a query's plan graph, Storage, an RDD,
// Environment, Executors) and
// /api/v1; the failed job's error is visible on its row, its page and its stage; links lead
// jobs -> job -> stage and through the word count's DAG (two nodes, an edge) to a stage; a click
// on a header sorts rows (numerically, twice: reversed).
// history: the list shows the application (its name as text), and its Jobs, job, Stages and
// stage pages render as live, under /history/APP/. One screenshot per page in ARTIFACT_DIR.
// Exits 2 when playwright-core is absent, 1 on a failed check.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createRequire } from 'module';

const [mode, startUrl, artifacts, xss1, xss2] = process.argv.slice(2);
if (!['live', 'history'].includes(mode) || !xss2) {
  console.error('usage: app_pages.mjs live|history URL ARTIFACT_DIR XSS1 XSS2');
  process.exit(2);
}
const peers = process.env.KILN_PEERS_DIR || path.join(os.homedir(), '.cache', 'kiln-peers');
let chromium;
try {
  ({ chromium } = createRequire(path.join(peers, 'package.json'))('playwright-core'));
} catch (e) {
  console.error(`app_pages.mjs: playwright-core is not installed in ${peers}`);
  process.exit(2);
}

const problems = [];
let where = 'start';
function check(cond, what) {
  if (!cond) problems.push(`${where}: ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.KILN_CHROMIUM || '/usr/bin/chromium',
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${where}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${where}: page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`${where}: a dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  page.on('requestfailed', (r) => problems.push(`${where}: request failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${where}: HTTP ${r.status()} for ${r.url()}`);
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });

  // The checks every page gets, then its screenshot.
  async function done(name) {
    const v = await page.evaluate(() => window.__csp);
    check(v.length === 0, `CSP violations: ${v.join(', ')}`);
    const scripts = await page.$$eval('script', (s) => s.map((e) => e.getAttribute('src')));
    check(JSON.stringify(scripts) === '["/static/kiln.js"]', `script elements: ${JSON.stringify(scripts)}`);
    check((await page.$$('img')).length === 0, 'an img element was injected');
    check((await page.$$('[onerror]')).length === 0, 'an onerror attribute was injected');
    check((await page.$$('iframe, object, embed')).length === 0, 'an embedded element was injected');
    const brand = await page.textContent('header .brand');
    check(brand !== null && brand.includes(xss1), `the application name is not shown as text: ${brand}`);
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  }
  async function go(url, name) {
    where = name;
    await page.goto(url, { waitUntil: 'load' });
  }
  async function follow(selector, name) {
    const link = await page.$(selector);
    check(link !== null, `no link ${selector}`);
    if (!link) return false;
    const href = await link.getAttribute('href');
    where = name;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
    check(new URL(page.url()).pathname.startsWith(base), `${href} left ${base}: ${page.url()}`);
    return true;
  }
  async function rows(id) {
    return page.$$eval(`#${id} tbody tr:not(.empty)`, (r) => r.map((e) => e.textContent));
  }
  async function keys(id, col) {
    return page.$$eval(`#${id} tbody tr:not(.empty)`, (rows, c) =>
      rows.map((r) => r.cells[c].getAttribute('data-sort') ?? r.cells[c].textContent), col);
  }
  // A click on column col's header of table id sorts its rows ascending, a second descending.
  async function sorts(id, col, numeric) {
    const before = await keys(id, col);
    const norm = (v) => (numeric ? Number(v) : v.trim().toLowerCase());
    const want = before.map(norm).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    await page.click(`#${id} thead th:nth-child(${col + 1})`);
    const asc = (await keys(id, col)).map(norm);
    check(JSON.stringify(asc) === JSON.stringify(want), `#${id} by column ${col}: ${asc} (expected ${want})`);
    check((await page.getAttribute(`#${id} thead th:nth-child(${col + 1})`, 'aria-sort')) === 'ascending',
      `#${id}: no aria-sort=ascending`);
    await page.click(`#${id} thead th:nth-child(${col + 1})`);
    const desc = (await keys(id, col)).map(norm);
    check(JSON.stringify(desc) === JSON.stringify([...want].reverse()), `#${id} reversed: ${desc}`);
    return before.length;
  }
  async function visibleText(selector, text) {
    const el = page.locator(selector).filter({ hasText: text }).first();
    check((await el.count()) === 1 && (await el.isVisible()), `"${text}" is not visible in ${selector}`);
  }

  // The Jobs tab, a failed job's page and its stage: the same in both modes.
  async function jobsAndStages(prefix) {
    const jobsUrl = page.url();
    check((await page.title()) === 'kiln Jobs', `title: ${await page.title()}`);
    const completed = await rows('completed-jobs');
    // the word count's two jobs and the SQL query's one
    check(completed.length === 3, `three completed jobs expected, got ${completed.length}`);
    const failed = await rows('failed-jobs');
    check(failed.length === 1, `one failed job expected, got ${failed.length}`);
    await visibleText('#failed-jobs tbody td', xss2);
    // The word count's jobs carry a description with markup: shown as text above the action,
    // and in the timeline (one bar per job, its tooltip the description).
    await visibleText('#completed-jobs tbody td p.description', `wc ${xss2}`);
    check((await page.$$('svg.timeline')).length === 1, 'no event timeline drawn');
    const bars = await page.$$eval('svg.timeline g.tl-bar', (g) => g.map((e) => e.getAttribute('class')));
    check(bars.length === 4, `four timeline bars expected: ${bars}`);
    check(bars.filter((c) => c.includes('state-FAILED')).length === 1, `one failed bar expected: ${bars}`);
    const tips = await page.$$eval('svg.timeline g.tl-bar title', (t) => t.map((e) => e.textContent));
    check(tips.filter((t) => t.includes(`wc ${xss2}`)).length === 2, `tooltips: ${JSON.stringify(tips)}`);
    const box = await page.locator('svg.timeline').boundingBox();
    check(box !== null && box.width > 100 && box.height > 30, `timeline not rendered: ${JSON.stringify(box)}`);
    check((await sorts('completed-jobs', 0, true)) === 3, 'sorting the completed jobs');
    await sorts('completed-jobs', 3, true);
    await done(`${prefix}jobs`);

    // jobs -> the failed job -> its stage
    if (await follow('#failed-jobs tbody td a[href*="/jobs/job/?id="]', `${prefix}job`)) {
      check((await page.title()).startsWith('Details for Job'), `title: ${await page.title()}`);
      await visibleText('pre.error', xss2);
      check((await page.$$('div.dag svg')).length === 1, 'no DAG drawn');
      const st = await rows('job-stages');
      check(st.length === 1, `one stage expected in the failed job, got ${st.length}`);
      await done(`${prefix}job`);
      if (await follow('#job-stages tbody a[href*="/stages/stage/?id="]', `${prefix}failed-stage`)) {
        check((await page.title()).includes('Stage'), `title: ${await page.title()}`);
        check((await page.textContent('main')).includes(xss2), 'the stage does not show the error');
        check((await rows('task-table')).length >= 1, 'no tasks listed');
        await done(`${prefix}failed-stage`);
      }
    }

    // The word count (job 0, by its link on the Jobs tab): two stages drawn and linked, the
    // shuffle map stage's node leads to its page.
    await go(jobsUrl, `${prefix}jobs`);
    if (await follow('#completed-jobs tbody td a[href$="/jobs/job/?id=0"]', `${prefix}job-0`)) {
      check((await page.title()) === 'Details for Job 0', `title: ${await page.title()}`);
      check((await page.$$('svg.dag a g.dag-node')).length === 2, 'two linked DAG nodes expected');
      check((await page.$$('svg.dag line.dag-edge')).length === 1, 'one DAG edge expected');
      check((await rows('job-stages')).length === 2, 'two stages expected in the word count');
      await done(`${prefix}job-0`);
      if (await follow('svg.dag a:first-of-type', `${prefix}dag-stage`)) {
        check((await page.title()).includes('Stage'), `a DAG node led to: ${await page.title()}`);
        check((await rows('task-table')).length === 4, 'the shuffle map stage has four tasks');
      }
    }

    // Stages tab (by its link in the header), then a completed stage.
    const tab = await page.$('header nav a[href$="/stages/"]');
    check(tab !== null, 'no Stages tab');
    where = `${prefix}stages`;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), tab.click()]);
    check((await page.title()) === 'Stages for All Jobs', `title: ${await page.title()}`);
    const done5 = await rows('completed-stages'); // the word count's three, the query's two
    check(done5.length === 5, `five completed stages expected, got ${done5.length}`);
    check((await rows('failed-stages')).length === 1, 'one failed stage expected');
    await visibleText('#failed-stages tbody td', xss2);
    await sorts('completed-stages', 0, true);
    await sorts('completed-stages', 1, false);
    await done(`${prefix}stages`);
    if (await follow('#completed-stages tbody a[href*="/stages/stage/?id="]', `${prefix}stage`)) {
      check((await rows('summary-metrics')).length >= 1, 'no summary metrics');
      const tasks = await sorts('task-table', 0, true);
      check(tasks >= 1, 'no tasks listed');
      await done(`${prefix}stage`);
    }

    // The SQL tab (by its link in the header): the query, its text as text; its page draws
    // the plan as it ran, each operator with its rows.
    const sqlTab = await page.$('header nav a[href$="/SQL/"]');
    check(sqlTab !== null, 'no SQL tab');
    if (sqlTab) {
      where = `${prefix}sql`;
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), sqlTab.click()]);
      const queries = await rows('completed-queries');
      check(queries.length === 1, `one completed query expected, got ${queries.length}`);
      await visibleText('#completed-queries tbody td', xss1);
      await done(`${prefix}sql`);
      if (await follow('#completed-queries tbody a[href*="/SQL/execution/?id="]', `${prefix}sql-execution`)) {
        await visibleText('pre.sql-description', xss1);
        const ops = await page.$$eval('div.plan-graph svg.dag g.dag-node.sql-op > text:first-of-type',
          (t) => t.map((e) => e.textContent));
        for (const op of ['HashAggregate', 'Exchange', 'Filter', 'LocalTableScan'])
          check(ops.includes(op), `no ${op} in the plan graph: ${JSON.stringify(ops)}`);
        const lines = await page.$$eval('div.plan-graph text.dag-detail', (t) => t.map((e) => e.textContent));
        check(lines.includes('number of output rows: 2') && lines.includes('number of output rows: 3'),
          `the final aggregate's 2 rows and the filter's 3 expected: ${JSON.stringify(lines)}`);
        const box = await page.locator('div.plan-graph svg.dag').boundingBox();
        check(box !== null && box.height > 200, `plan graph not rendered: ${JSON.stringify(box)}`);
        await done(`${prefix}sql-execution`);
      }
    }
  }

  let base = '';
  if (mode === 'live') {
    await go(startUrl, 'jobs');
    check(new URL(page.url()).pathname === '/jobs/', `/ did not lead to /jobs/: ${page.url()}`);
    await jobsAndStages('');

    await go(new URL('/storage/', startUrl).href, 'storage');
    check((await rows('storage-rdds')).length === 1, 'one cached RDD expected');
    await visibleText('#storage-rdds tbody td', `lines ${xss1}`);
    await done('storage');
    if (await follow('#storage-rdds tbody a', 'storage-rdd')) {
      check((await rows('rdd-blocks')).length === 4, `four blocks expected: ${(await rows('rdd-blocks')).length}`);
      await sorts('rdd-blocks', 0, false);
      await done('storage-rdd');
    }

    await go(new URL('/environment/', startUrl).href, 'environment');
    await visibleText('#properties tbody td', xss2);
    const props = await sorts('properties', 0, false);
    check(props >= 5, `too few properties: ${props}`);
    await done('environment');

    await go(new URL('/executors/', startUrl).href, 'executors');
    const ex = await rows('active-executors');
    check(ex.length === 1 && ex[0].startsWith('driver'), `the driver executor expected: ${ex}`);
    await done('executors');

    where = 'api';
    const r = await page.request.get(new URL('/api/v1/applications', startUrl).href);
    check(r.status() === 200, `/api/v1/applications: ${r.status()}`);
    const apps = await r.json();
    check(apps.length === 1 && apps[0].name === xss1, `/api/v1/applications: ${JSON.stringify(apps)}`);
  } else {
    await go(startUrl, 'history');
    check((await page.title()) === 'History Server', `title: ${await page.title()}`);
    const apps = await page.$$eval('#completed-apps tbody tr:not(.empty)', (r) =>
      r.map((e) => [e.cells[0].textContent, e.cells[1].textContent]));
    check(apps.length === 1 && apps[0][1] === xss1, `the application is not listed: ${JSON.stringify(apps)}`);
    check((await page.$$('img, [onerror]')).length === 0, 'an element was injected in the list');
    const scripts = await page.$$eval('script', (s) => s.map((e) => e.getAttribute('src')));
    check(JSON.stringify(scripts) === '["/static/kiln.js"]', `script elements: ${JSON.stringify(scripts)}`);
    await page.screenshot({ path: path.join(artifacts, 'history.png'), fullPage: true });
    if (apps.length === 1) {
      base = `/history/${apps[0][0]}/`;
      if (await follow('#completed-apps tbody a', 'history-jobs')) await jobsAndStages('history-');
    }
  }
} finally {
  await browser.close();
}
if (problems.length) {
  for (const p of problems) console.error(`FAIL: ${p}`);
  process.exit(1);
}
console.log(`browser: ${mode} pages checked`);
fs.writeFileSync(path.join(artifacts, `${mode}.ok`), 'ok\n');
