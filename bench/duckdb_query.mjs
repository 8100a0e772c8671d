// The DuckDB peer of bench/run.sh: the aggregate a user would write by hand instead of cfscan
// (peers.md): read_csv of CloudFront standard logs, 33 columns as VARCHAR, GROUP BY
// distribution (from the file name), edge, status and detailed result type, with count, sum of
// sc-bytes and p99 of time-taken.  Prints one JSON line: {seconds, groups, requests, threads}.
//   node bench/duckdb_query.mjs MODULE_DIR THREADS GLOB
// MODULE_DIR is the node_modules that holds @duckdb/node-api (tests/js/node_modules)
// (bench/peer_common.mjs).
import { peerArgs, fields, timeDuckDB } from './peer_common.mjs';

const { require, threads, glob } = peerArgs('duckdb_query.mjs');
const { DuckDBInstance } = require('@duckdb/node-api');

const cols = fields.map((f) => `'${f}': 'VARCHAR'`).join(', ');
const lit = (s) => `'${s.replaceAll("'", "''")}'`;

// '#Version:' and '#Fields:' lines are comments; CloudFront never quotes, so quoting is off.
// The distribution id is the part of the file name before '.YYYY-MM-DD-HH.'.
const sql = `
SELECT count(*) AS groups, sum(n) AS requests FROM (
  SELECT regexp_extract(filename, '([^/]+)\\.[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}\\.', 1) AS distribution,
         "x-edge-location" AS edge, "sc-status" AS status,
         "x-edge-detailed-result-type" AS detailed,
         count(*) AS n, sum(CAST("sc-bytes" AS BIGINT)) AS bytes,
         quantile_cont(CAST("time-taken" AS DOUBLE), 0.99) AS p99_time_taken
  FROM read_csv(${lit(glob)}, delim = '\\t', header = false, comment = '#', quote = '',
                escape = '', auto_detect = false, filename = true, columns = {${cols}})
  GROUP BY ALL)`;

await timeDuckDB(DuckDBInstance, threads, sql);
