// tests/parquet/duckdb_files.mjs - DuckDB as the second implementation of
// Parquet for tests/unit/test_parquet_duckdb.c: writes Parquet files of
// every type, codec, page version and layout DuckDB writes into OUTDIR,
// and for each DuckDB's own read of it in a canonical text (one line per
// row, sorted) that the test compares with kiln's read.
//
// usage: node duckdb_files.mjs OUTDIR SEED
// OUTDIR/list.txt: one "NAME KIND" per line (KIND file, dir (a Hive-
// partitioned dataset), or error (kiln must refuse it)); OUTDIR/NAME.parquet
// (or the directory NAME/) and OUTDIR/NAME.expected.
//
// Canonical values, mirroring how kiln_df_collect gives Spark's types:
// NULL "N"; booleans "T"/"F"; integers, dates (days), timestamps
// (microseconds; nanoseconds floored) "i<n>"; float, double and decimals
// with a scale "d<16 hex digits of the double's bits>" ("dNaN"), a
// decimal as kiln makes its double (the unscaled integer divided by 10
// scale times); strings "s<hex of UTF-8>", blobs "b<hex>"; lists and maps
// "[a,b]" (a map's entries as "(k,v)"); structs "(a,b)"; a row's columns
// joined by "|".
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createRequire } from 'module';

const peers = process.env.KILN_PEERS_DIR || path.join(os.homedir(), '.cache', 'kiln-peers');
let DuckDBInstance;
try {
    ({ DuckDBInstance } = createRequire(path.join(peers, 'package.json'))('@duckdb/node-api'));
} catch (e) {
    console.error(`@duckdb/node-api is not installed in ${peers}`);
    process.exit(3);
}

const [out, seedArg] = process.argv.slice(2);
const seed = Number(seedArg || 1);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const run = (sql) => con.run(sql);

function dhex(x) {
    if (Number.isNaN(x)) return 'dNaN';
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, x);
    return 'd' + b.getBigUint64(0).toString(16).padStart(16, '0');
}
const hex = (u8) => Buffer.from(u8).toString('hex');
const I64MAX = 9223372036854775807n;
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

// v of DuckDB type t (floats and doubles print as doubles even when integral).
function canon(v, t) {
    if (v === null || v === undefined) return 'N';
    const ts = t.toString();
    if (ts === 'FLOAT' || ts === 'DOUBLE') return dhex(v);
    if (typeof v === 'boolean') return v ? 'T' : 'F';
    if (typeof v === 'number') return 'i' + v;
    if (typeof v === 'bigint') return v <= I64MAX ? 'i' + v : dhex(Number(v));
    if (typeof v === 'string') return 's' + Buffer.from(v, 'utf8').toString('hex');
    const c = v.constructor.name;
    switch (c) {
    case 'DuckDBBlobValue': return 'b' + hex(v.bytes);
    case 'DuckDBDateValue': return 'i' + v.days;
    case 'DuckDBTimestampValue': case 'DuckDBTimestampTZValue': return 'i' + v.micros;
    case 'DuckDBTimestampMillisecondsValue': return 'i' + v.millis * 1000n;
    case 'DuckDBTimestampSecondsValue': return 'i' + v.seconds * 1000000n;
    case 'DuckDBTimestampNanosecondsValue': return 'i' + floorDiv(v.nanos, 1000n);
    case 'DuckDBDecimalValue': {
        if (v.scale === 0 && v.value <= I64MAX && v.value >= -I64MAX - 1n) return 'i' + v.value;
        let d = Number(v.value);
        for (let i = 0; i < v.scale; i++) d /= 10;
        return dhex(d);
    }
    case 'DuckDBListValue': return '[' + v.items.map((x) => canon(x, t.valueType)).join(',') + ']';
    case 'DuckDBStructValue':
        return '(' + t.entryNames.map((n, i) => canon(v.entries[n], t.entryTypes[i])).join(',') + ')';
    case 'DuckDBMapValue':
        return '[' + v.entries.map((e) => '(' + canon(e.key, t.keyType) + ',' +
                                     canon(e.value, t.valueType) + ')').join(',') + ']';
    default: throw new Error('no canonical form for ' + c);
    }
}

async function dump(from, name) {
    const r = await con.runAndReadAll(`SELECT * FROM ${from}`);
    const types = r.columnTypes();
    const lines = r.getRows().map((row) => row.map((v, i) => canon(v, types[i])).join('|'));
    lines.sort();
    fs.writeFileSync(`${out}/${name}.expected`, lines.map((l) => l + '\n').join(''));
}

const N = 6000;
const h = (k) => `hash(i * ${k} + ${seed})`;
await run(`CREATE TABLE t AS SELECT
  i::INTEGER AS id,
  CASE WHEN ${h(3)} % 7 = 0 THEN NULL ELSE ${h(5)} % 2 = 0 END AS b,
  CASE WHEN i = 0 THEN -128 WHEN i = 1 THEN 127 WHEN ${h(7)} % 11 = 0 THEN NULL
       ELSE (${h(7)} % 256)::INTEGER - 128 END::TINYINT AS i8,
  CASE WHEN i = 0 THEN -32768 WHEN i = 1 THEN 32767 ELSE (${h(9)} % 65536)::INTEGER - 32768 END::SMALLINT AS i16,
  CASE WHEN i = 0 THEN -2147483648 WHEN i = 1 THEN 2147483647 WHEN ${h(2)} % 13 = 0 THEN NULL
       ELSE (${h(11)} % 4294967296)::BIGINT - 2147483648 END::INTEGER AS i32,
  CASE WHEN i = 0 THEN -9223372036854775808 WHEN i = 1 THEN 9223372036854775807
       ELSE (${h(13)}::HUGEINT - 9223372036854775808)::BIGINT END AS i64,
  CASE WHEN i = 1 THEN 255 ELSE ${h(15)} % 256 END::UTINYINT AS u8,
  CASE WHEN i = 1 THEN 65535 ELSE ${h(17)} % 65536 END::USMALLINT AS u16,
  CASE WHEN i = 1 THEN 4294967295 ELSE ${h(19)} % 4294967296 END::UINTEGER AS u32,
  CASE WHEN i = 1 THEN 18446744073709551615 WHEN ${h(4)} % 17 = 0 THEN NULL ELSE ${h(21)} END::UBIGINT AS u64,
  CASE WHEN i = 2 THEN 'NaN'::FLOAT WHEN i = 3 THEN 'inf'::FLOAT WHEN i = 4 THEN '-inf'::FLOAT
       WHEN i = 5 THEN '-0.0'::FLOAT WHEN ${h(6)} % 9 = 0 THEN NULL
       ELSE ((${h(23)} % 2000001)::INTEGER - 1000000) / 1024.0 END::FLOAT AS f,
  CASE WHEN i = 2 THEN 'NaN'::DOUBLE WHEN i = 3 THEN 'inf'::DOUBLE WHEN i = 4 THEN '-inf'::DOUBLE
       WHEN i = 5 THEN '-0.0'::DOUBLE
       ELSE ((${h(25)} % 2000000001)::BIGINT - 1000000000) / 7.0 END::DOUBLE AS d,
  (((${h(27)} % 19999)::INTEGER - 9999) / 100.0)::DECIMAL(4,2) AS d42,
  CASE WHEN ${h(8)} % 5 = 0 THEN NULL ELSE (((${h(29)} % 1999999999)::BIGINT - 999999999) / 1000.0)::DECIMAL(9,3) END AS d93,
  (((${h(31)} % 1999999999999999999)::HUGEINT - 999999999999999999) / 1000)::DECIMAL(18,3) AS d183,
  (CASE WHEN ${h(12)} % 2 = 0 THEN '-' ELSE '' END ||
   ((${h(33)} % 1000000000000000000)::HUGEINT * (${h(35)} % 1000000000)::HUGEINT)::VARCHAR || '.' ||
   lpad((${h(14)} % 10000000000)::VARCHAR, 10, '0'))::DECIMAL(38,10) AS d3810,
  CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' WHEN i % 10 = 2 THEN 'héllo wörld ✓ 日本'
       WHEN i % 10 = 3 THEN repeat('long string ', 1 + i % 7) WHEN i % 10 = 4 THEN '🦆|,()[]'
       ELSE 'v' || (${h(37)} % 500)::VARCHAR END AS s,
  CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN ''::BLOB ELSE ('\\x00\\xff' || i::VARCHAR)::BLOB END AS bl,
  CASE WHEN ${h(10)} % 8 = 0 THEN NULL ELSE DATE '1970-01-01' + ((${h(39)} % 80000)::INTEGER - 40000) END AS dt,
  TIMESTAMP '1970-01-01' + to_microseconds(((${h(41)} % 4000000000000000)::BIGINT - 2000000000000000)) AS ts,
  (TIMESTAMP '1970-01-01' + to_microseconds(((${h(43)} % 4000000000000000)::BIGINT - 2000000000000000)))::TIMESTAMPTZ AS tstz,
  (TIMESTAMP '1970-01-01' + to_milliseconds(((${h(45)} % 4000000000000)::BIGINT - 2000000000000)))::TIMESTAMP_MS AS tsms,
  (TIMESTAMP '1970-01-01' + to_microseconds(((${h(47)} % 4000000000000000)::BIGINT - 2000000000000000)))::TIMESTAMP_NS AS tsns,
  (TIMESTAMP '1970-01-01' + to_seconds(((${h(49)} % 4000000000)::BIGINT - 2000000000)))::TIMESTAMP_S AS tss,
  CASE WHEN i % 9 = 0 THEN NULL WHEN i % 9 = 1 THEN []::INTEGER[]
       ELSE list_transform(range((${h(51)} % 6)::INTEGER),
                           x -> CASE WHEN (x + i) % 4 = 0 THEN NULL ELSE x * i END) END AS l,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN []::VARCHAR[] WHEN i % 7 = 2 THEN [NULL]::VARCHAR[]
       ELSE list_transform(range((${h(53)} % 4)::INTEGER), x -> 'é' || repeat('x', x * 5)) END AS ls,
  CASE WHEN i % 8 = 0 THEN NULL
       ELSE {'a': CASE WHEN i % 8 = 1 THEN NULL ELSE i END, 'b': CASE WHEN i % 3 = 0 THEN NULL ELSE 's' || i END} END AS st,
  CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN MAP {}::MAP(VARCHAR, INTEGER)
       ELSE map_from_entries(list_transform(range((${h(55)} % 4)::INTEGER),
                             x -> {'k': 'k' || x, 'v': CASE WHEN x = 1 THEN NULL ELSE x + i END})) END AS m,
  CASE WHEN i % 11 = 0 THEN NULL WHEN i % 11 = 1 THEN []
       ELSE list_transform(range((${h(57)} % 4)::INTEGER),
                           x -> CASE WHEN x = 2 THEN NULL ELSE {'x': CASE WHEN x = 1 THEN NULL ELSE x END, 'y': x / 4.0} END) END AS lst,
  CASE WHEN i % 12 = 0 THEN NULL
       ELSE {'tags': CASE WHEN i % 12 = 1 THEN NULL WHEN i % 12 = 2 THEN [] ELSE ['t' || (i % 5), NULL, 'u'] END,
             'n': i % 12} END AS stl,
  CASE WHEN i % 13 = 0 THEN NULL WHEN i % 13 = 1 THEN [[]]::INTEGER[][] WHEN i % 13 = 2 THEN [NULL, [1, NULL]]
       ELSE [[i, i + 1], [], [i + 2]] END AS ll,
  CASE WHEN i % 14 = 0 THEN NULL
       ELSE MAP {i: CASE WHEN i % 14 = 1 THEN NULL WHEN i % 14 = 2 THEN [] ELSE ['a', NULL] END} END AS ml
FROM range(${N}) r(i)`);

const list = [];
const copy = async (name, opts) => {
    await run(`COPY t TO '${out}/${name}.parquet' (FORMAT parquet${opts})`);
    await dump(`read_parquet('${out}/${name}.parquet')`, name);
    list.push(`${name} file`);
};
for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw'])
    for (const v of ['V1', 'V2'])
        await copy(`${codec}_${v}`, `, COMPRESSION ${codec}, PARQUET_VERSION ${v}`);
await copy('small_groups', ', ROW_GROUP_SIZE 1000, PARQUET_VERSION V2');
try {
    await copy('plain', ', DICTIONARY_SIZE_LIMIT 1, PARQUET_VERSION V1');
} catch (e) {
    console.error('no plain variant: ' + e.message);
}
await run(`COPY t TO '${out}/brotli.parquet' (FORMAT parquet, COMPRESSION brotli)`);
list.push('brotli error');
// A Hive-partitioned dataset: kiln puts partition columns last, as DuckDB.
await run(`COPY (SELECT id, s, l, id % 4 AS k FROM t) TO '${out}/parts'
           (FORMAT parquet, PARTITION_BY (k))`);
await dump(`read_parquet('${out}/parts/**/*.parquet', hive_partitioning = true)`, 'parts');
list.push('parts dir');
fs.writeFileSync(`${out}/list.txt`, list.map((l) => l + '\n').join(''));
