// parquet-write-duckdb.mjs - DuckDB's side of bench/run-parquet-write.sh: loads a TPC-H .tbl(.gz)
// table into an in-memory table, then times COPY table TO 'OUT' (FORMAT parquet, COMPRESSION
// CODEC) RUNS times, printing each run's wall and CPU time (the process's, all threads) in ms,
// the medians and the file's size.
//
//   node bench/parquet-write-duckdb.mjs THREADS TBL OUT CODEC RUNS
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createRequire } from 'module';
import { performance } from 'perf_hooks';

const peers = process.env.KILN_PEERS_DIR || path.join(os.homedir(), '.cache', 'kiln-peers');
const { DuckDBInstance } = createRequire(path.join(peers, 'package.json'))('@duckdb/node-api');
const [threads, tbl, out, codec, runs] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
await con.run(`CREATE TABLE lineitem (l_orderkey INT, l_partkey INT, l_suppkey INT,
  l_linenumber INT, l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2),
  l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), l_returnflag VARCHAR, l_linestatus VARCHAR,
  l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct VARCHAR,
  l_shipmode VARCHAR, l_comment VARCHAR)`);
await con.run(`INSERT INTO lineitem SELECT * EXCLUDE (l_dummy) FROM read_csv('${tbl}', delim='|', header=false,
  columns={'l_orderkey':'INT','l_partkey':'INT','l_suppkey':'INT','l_linenumber':'INT',
  'l_quantity':'DECIMAL(15,2)','l_extendedprice':'DECIMAL(15,2)','l_discount':'DECIMAL(15,2)',
  'l_tax':'DECIMAL(15,2)','l_returnflag':'VARCHAR','l_linestatus':'VARCHAR','l_shipdate':'DATE',
  'l_commitdate':'DATE','l_receiptdate':'DATE','l_shipinstruct':'VARCHAR','l_shipmode':'VARCHAR',
  'l_comment':'VARCHAR','l_dummy':'VARCHAR'})`);
const wall = [], cpu = [];
for (let r = 0; r < Number(runs); r++) {
  const w0 = performance.now(), c0 = process.cpuUsage();
  await con.run(`COPY lineitem TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`);
  const c = process.cpuUsage(c0);
  wall.push(performance.now() - w0);
  cpu.push((c.user + c.system) / 1000);
  console.log(`run ${r + 1}: wall ${wall[r].toFixed(0)} ms, cpu ${cpu[r].toFixed(0)} ms`);
}
const med = a => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`duckdb ${codec}: median wall ${med(wall).toFixed(0)} ms, median cpu ` +
            `${med(cpu).toFixed(0)} ms, ${fs.statSync(out).size} bytes`);
