// The chDB (ClickHouse in-process) peer of bench/run.sh: the same aggregate as
// bench/duckdb_query.mjs, written as a ClickHouse user would: file() over the glob as raw
// TSV (CloudFront never quotes or escapes), 33 columns as String, GROUP BY distribution
// (from the file name), edge, status and detailed result type, with count, sum of sc-bytes
// and the exact p99 of time-taken.  '#Version:' and '#Fields:' lines have one field, so
// they fail the 33-column structure and are skipped as bad rows (ClickHouse has no
// comment option for TSV).  Prints one JSON line: {seconds, groups, requests, threads}.
//   node bench/chdb_query.mjs MODULE_DIR THREADS GLOB
// MODULE_DIR is the node_modules that holds chdb (bench/peers/node_modules)
// (bench/peer_common.mjs).
import { peerArgs, fields } from './peer_common.mjs';

const { require, threads, glob } = peerArgs('chdb_query.mjs');
const { query } = require('chdb');

const structure = fields.map((f) => `\`${f}\` String`).join(', ');
const lit = (s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const n = Number(threads);
if (!Number.isInteger(n) || n < 1) {
  process.stderr.write(`chdb_query.mjs: bad thread count '${threads}'\n`);
  process.exit(2);
}

const sql = `
SELECT count() AS groups, sum(n) AS requests FROM (
  SELECT extract(_file, '^(.+)\\\\.[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}\\\\.') AS distribution,
         \`x-edge-location\` AS edge, \`sc-status\` AS status,
         \`x-edge-detailed-result-type\` AS detailed,
         count() AS n, sum(toInt64OrZero(\`sc-bytes\`)) AS bytes,
         quantileExactInclusive(0.99)(toFloat64OrZero(\`time-taken\`)) AS p99_time_taken
  FROM file(${lit(glob)}, 'TSVRaw', ${lit(structure)})
  GROUP BY distribution, edge, status, detailed)
SETTINGS max_threads = ${n}, input_format_allow_errors_ratio = 1, input_format_allow_errors_num = 1000000000`;

// The first query starts the engine (0.3 to 1.6 s here); DuckDB's instance is likewise
// created before its clock starts, so only the group-by itself is timed.
query('SELECT 1', 'CSV');
const t0 = process.hrtime.bigint();
const out = query(sql, 'JSONCompactEachRow');
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
let row;
try {
  row = JSON.parse(out.trim().split('\n')[0]);
} catch {
  process.stderr.write(`chdb_query.mjs: unexpected result: ${String(out).slice(0, 300)}\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({
  seconds, threads: n, groups: Number(row[0]), requests: Number(row[1]),
}) + '\n');
