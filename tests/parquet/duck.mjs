// tests/parquet/duck.mjs - runs one SQL query in an in-memory DuckDB (the second implementation
// the Parquet tests compare kiln with) and prints its rows: one line per row, values separated by
// tabs, NULL as the text NULL, every other value as JavaScript's String() of it (the tests make
// each column a VARCHAR in their query, so the text is DuckDB's own).
//
//   node tests/parquet/duck.mjs QUERY
//
// DuckDB is @duckdb/node-api in $KILN_PEERS_DIR (default ~/.cache/kiln-peers), installed by
// ../shared/bench/install-peers.sh. Exits 2 when it is absent, 1 when the query fails.
import os from 'os';
import path from 'path';
import { createRequire } from 'module';

const peers = process.env.KILN_PEERS_DIR || path.join(os.homedir(), '.cache', 'kiln-peers');
let DuckDBInstance;
try {
  ({ DuckDBInstance } = createRequire(path.join(peers, 'package.json'))('@duckdb/node-api'));
} catch (e) {
  console.error(`duck.mjs: @duckdb/node-api is not installed in ${peers}`);
  process.exit(2);
}
try {
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  const r = await con.runAndReadAll(process.argv[2]);
  const out = [];
  for (const row of r.getRows())
    out.push(row.map(v => (v === null ? 'NULL' : String(v))).join('\t') + '\n');
  process.stdout.write(out.join(''));
} catch (e) {
  console.error(`duck.mjs: ${e.message}`);
  process.exit(1);
}
