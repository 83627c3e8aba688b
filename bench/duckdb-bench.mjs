// duckdb-bench.mjs - times SQL queries in an in-memory DuckDB, for the kiln benchmarks' peer runs.
//
//   node bench/duckdb-bench.mjs THREADS RUNS OUTDIR SETUP.sql QUERY.sql...
//
// Runs the statements of SETUP.sql once (split on ';', as ../shared/bench/duckdb-run.mjs does)
// and prints how long they took, then runs each QUERY.sql (one statement) RUNS times as
// `CREATE OR REPLACE TEMP TABLE ans AS <query>`, so the result is materialised inside DuckDB but
// not converted to JavaScript values (as the H2O db-benchmark times its queries). Prints per
// query the median and every run in milliseconds and the result's row count; writes the last
// run's result as OUTDIR/<query>.csv (header line, DuckDB's formatting) and all the figures as
// OUTDIR/timings.csv. DuckDB is @duckdb/node-api from ../shared/bench/install-peers.sh, found in
// $KILN_PEERS_DIR (default ~/.cache/kiln-peers).
//
//   node bench/duckdb-bench.mjs THREADS serve OUTDIR SETUP.sql
//
// takes orders on stdin instead, for a script that runs DuckDB and kiln alternately: prints
// "ready" after the setup, then for each line QUERY.sql runs it once and answers
// "<query> MS ROWS"; the first run of each query writes OUTDIR/<query>.csv (untimed).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createRequire } from 'module';
import { performance } from 'perf_hooks';

const [threads, runsArg, outDir, setupFile, ...queries] = process.argv.slice(2);
const serve = runsArg === 'serve';
if (!setupFile || (!serve && !queries.length)) {
  console.error('usage: duckdb-bench.mjs THREADS RUNS OUTDIR SETUP.sql QUERY.sql...');
  process.exit(2);
}
const runs = Math.max(1, parseInt(runsArg, 10) || 1);
const peers = process.env.KILN_PEERS_DIR || path.join(os.homedir(), '.cache', 'kiln-peers');
let DuckDBInstance;
try {
  ({ DuckDBInstance } = createRequire(path.join(peers, 'package.json'))('@duckdb/node-api'));
} catch (e) {
  console.error(`duckdb-bench: @duckdb/node-api is not installed in ${peers} ` +
                '(run ../shared/bench/install-peers.sh)');
  process.exit(3);
}
fs.mkdirSync(outDir, { recursive: true });

const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await inst.connect();
const sqlString = (s) => `'${s.replace(/'/g, "''")}'`;

let t0 = performance.now();
for (const stmt of fs.readFileSync(setupFile, 'utf8').split(';').map((s) => s.trim())) {
  if (stmt) await con.run(stmt);
}
const setupMs = performance.now() - t0;
console.log(`setup ${setupMs.toFixed(0)} ms (${path.basename(setupFile)}, threads ${threads})`);

// One timed run of the query in file, its answer kept in the table ans; returns the time in ms.
async function runOnce(sql) {
  const t = performance.now();
  await con.run(`CREATE OR REPLACE TEMP TABLE ans AS ${sql}`);
  return performance.now() - t;
}

// The rows of ans, after writing them as OUTDIR/<name>.csv.
async function saveAnswer(name) {
  const rows = Number((await con.runAndReadAll('SELECT count(*) FROM ans')).getRows()[0][0]);
  await con.run(`COPY ans TO ${sqlString(path.join(outDir, `${name}.csv`))} (FORMAT csv, HEADER)`);
  return rows;
}

const readQuery = (file) => fs.readFileSync(file, 'utf8').trim().replace(/;\s*$/, '');
const queryName = (file) => path.basename(file).replace(/\.sql$/, '');

if (serve) {
  const readline = await import('readline');
  const saved = new Map();
  console.log('ready');
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const file = line.trim();
    if (!file) continue;
    const name = queryName(file);
    const ms = await runOnce(readQuery(file));
    if (!saved.has(name)) saved.set(name, await saveAnswer(name));
    console.log(`${name} ${ms.toFixed(1)} ${saved.get(name)}`);
  }
  process.exit(0);
}

const lines = ['query,median_ms,min_ms,max_ms,rows,runs_ms'];
let total = 0;
for (const file of queries) {
  const name = queryName(file);
  const sql = readQuery(file);
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await runOnce(sql));
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  total += median;
  const rows = await saveAnswer(name);
  const runsMs = times.map((t) => t.toFixed(1)).join(' ');
  console.log(`${name.padEnd(14)} ${median.toFixed(1).padStart(9)} ms  rows ${rows}  runs ${runsMs}`);
  lines.push(`${name},${median.toFixed(1)},${sorted[0].toFixed(1)},` +
             `${sorted[sorted.length - 1].toFixed(1)},${rows},${runsMs}`);
}
console.log(`total of medians ${total.toFixed(0)} ms over ${queries.length} queries`);
lines.push(`setup,${setupMs.toFixed(1)},,,,`);
fs.writeFileSync(path.join(outDir, 'timings.csv'), lines.join('\n') + '\n');
