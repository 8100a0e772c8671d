// The DuckDB peer of bench/run.sh for standard logging v2 JSON lines: read_json of the
// files (one object per line, every value a string), the same aggregate as
// duckdb_query.mjs on the W3C files: GROUP BY distribution (the distributionid field: v2
// file names do not give it), edge, status and detailed result type, with count, sum of
// sc-bytes and p99 of time-taken.  Prints one JSON line: {seconds, groups, requests, threads}.
//   node bench/duckdb_json_query.mjs MODULE_DIR THREADS GLOB
import { peerArgs, timeDuckDB } from './peer_common.mjs';

const { require, threads, glob } = peerArgs('duckdb_json_query.mjs');
const { DuckDBInstance } = require('@duckdb/node-api');

const lit = (s) => `'${s.replaceAll("'", "''")}'`;
// Only the keys the query uses, as VARCHAR (v2 writes every value as a string); the others
// are skipped by the reader.
const used = ['distributionid', 'x-edge-location', 'sc-status', 'x-edge-detailed-result-type', 'sc-bytes',
  'time-taken'];
const cols = used.map((f) => `'${f}': 'VARCHAR'`).join(', ');
const sql = `
SELECT count(*) AS groups, sum(n) AS requests FROM (
  SELECT "distributionid" AS distribution, "x-edge-location" AS edge, "sc-status" AS status,
         "x-edge-detailed-result-type" AS detailed,
         count(*) AS n, sum(CAST("sc-bytes" AS BIGINT)) AS bytes,
         quantile_cont(CAST("time-taken" AS DOUBLE), 0.99) AS p99_time_taken
  FROM read_json(${lit(glob)}, format = 'newline_delimited', auto_detect = false, columns = {${cols}})
  GROUP BY ALL)`;

await timeDuckDB(DuckDBInstance, threads, sql);
