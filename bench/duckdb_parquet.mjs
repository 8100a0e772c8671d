// The Parquet row of bench/run.sh (issue 16): the benchmark set as one CloudFront v2 Parquet
// file, and DuckDB's group-by on it (the one duckdb_query.mjs runs on the text logs).
//   node bench/duckdb_parquet.mjs MODULE_DIR make GLOB OUT    write OUT from the text logs
//   node bench/duckdb_parquet.mjs MODULE_DIR THREADS FILE      time the group-by on FILE
//   node bench/duckdb_parquet.mjs MODULE_DIR THREADS FILE all  time reading every column:
//        count(*) and the sum of the lengths of each column's values;
//        printed as {seconds, groups: the summed lengths, requests: the rows, threads}
//   node bench/duckdb_parquet.mjs MODULE_DIR THREADS FILE decoded  the same for the columns
//        a cfscan scan decodes (without --waf-logs): the like-for-like figure
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

// The columns a scan decodes: the fields of cfs_pres_analysed(0) (pipeline/presence.c), by
// their Parquet names; tests/test_presence_reads.c keeps that list whole.
const decoded = new Set(['date', 'time', 'timestamp_ms', 'timestamp', 'sc_status', 'distribution_tenant_id',
  'primary_distribution_id', 'distributionid', 'x_edge_result_type', 'x_edge_response_result_type',
  'x_edge_detailed_result_type', 'c_country', 'origin_fbl', 'time_taken', 'time_to_first_byte',
  'sc_content_type', 'sc_content_len', 'cs_uri_query', 'cs_cookie', 'cs_protocol', 'cs_protocol_version',
  'cs_method', 'x_host_header', 'cs_host', 'cs_uri_stem', 'cache_behavior_path_pattern', 'c_ip',
  'x_edge_location', 'sc_bytes']);

if (process.argv[5] === 'all' || process.argv[5] === 'decoded') {
  // the column names first (footer only, not timed), then one sum of lengths per column
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  const cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(glob)})`)).getRows()
    .map((r) => r[0]).filter((c) => process.argv[5] === 'all' || decoded.has(c));
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
