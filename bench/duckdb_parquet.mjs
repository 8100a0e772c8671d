// The Parquet row of bench/run.sh (issue 16): the benchmark set as one CloudFront v2 Parquet
// file, and DuckDB's group-by on it (the one duckdb_query.mjs runs on the text logs).
//   node bench/duckdb_parquet.mjs MODULE_DIR make GLOB OUT    write OUT from the text logs
//   node bench/duckdb_parquet.mjs MODULE_DIR THREADS FILE      time the group-by on FILE
//   node bench/duckdb_parquet.mjs MODULE_DIR THREADS FILE all  time reading every column:
//        count(*) and the sum of the lengths of each column's values, the like-for-like
//        figure beside cfscan, which reads every column it knows (all of this file's);
//        printed as {seconds, groups: the summed lengths, requests: the rows, threads}
// The file has CloudFront's Parquet column names (x_edge_location, cs_user_agent, ...; Athena
// DDL, README "v2 Parquet logs"), every column VARCHAR as CloudFront writes them, Snappy pages,
// and distributionid (a v2 field) from each log's file name, so that cfscan and DuckDB group
// by the same distribution.  Query output: one JSON line {seconds, groups, requests, threads}.
import { peerArgs, fields, timeDuckDB } from './peer_common.mjs';

const { require, threads: mode, glob } = peerArgs('duckdb_parquet.mjs');
const { DuckDBInstance } = require('@duckdb/node-api');
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const pq = (f) => f.toLowerCase().replace(/^cs\((.*)\)$/, 'cs_$1').replaceAll('-', '_');

if (mode === 'make') {
  const out = process.argv[5];
  const cols = fields.map((f) => `'${f}': 'VARCHAR'`).join(', ');
  const sel = fields.map((f) => `"${f}" AS ${pq(f)}`).join(', ');
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await inst.connect();
  await con.run(`COPY (
    SELECT regexp_extract(filename, '([^/]+)\\.[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}\\.', 1) AS distributionid, ${sel}
    FROM read_csv(${lit(glob)}, delim = '\\t', header = false, comment = '#', quote = '', escape = '',
                  auto_detect = false, filename = true, columns = {${cols}}))
    TO ${lit(out)} (FORMAT parquet, COMPRESSION 'snappy')`);
  process.exit(0);
}

if (process.argv[5] === 'all') {
  // the column names first (footer only, not timed), then one sum of lengths per column
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  const cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(glob)})`)).getRows().map((r) => r[0]);
  const sum = cols.map((c) => `coalesce(sum(length("${c.replaceAll('"', '""')}")), 0)`).join(' + ');
  await timeDuckDB(DuckDBInstance, mode, `SELECT ${sum} AS chars, count(*) AS requests FROM read_parquet(${lit(glob)})`);
  process.exit(0);
}

const sql = `
SELECT count(*) AS groups, sum(n) AS requests FROM (
  SELECT distributionid, x_edge_location AS edge, sc_status AS status,
         x_edge_detailed_result_type AS detailed,
         count(*) AS n, sum(CAST(sc_bytes AS BIGINT)) AS bytes,
         quantile_cont(CAST(time_taken AS DOUBLE), 0.99) AS p99_time_taken
  FROM read_parquet(${lit(glob)})
  GROUP BY ALL)`;
await timeDuckDB(DuckDBInstance, mode, sql);
