// Writes CloudFront logs as v2 Parquet with DuckDB, as fixtures for tests/test_parquet_input.c
// and for bench/run.sh: the W3C text logs given (plain, one #Fields: header each) become one
// Parquet file with CloudFront's Parquet column names (underscores: x_edge_location,
// cs_user_agent, timestamp_ms), every column VARCHAR, "-" written as NULL when asked.
//   node parquet_logs.mjs OUT.parquet CODEC ROW_GROUP_ROWS DICT(on|off) PAGEVER(V1|V2) NULLS(0|1) LOG...
// CODEC: uncompressed, snappy, gzip or zstd.  All LOGs must share one #Fields: line.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const [out, codec, rgRows, dict, pagever, nulls, ...logs] = process.argv.slice(2);
if (!logs.length) {
  process.stderr.write('usage: parquet_logs.mjs OUT CODEC ROW_GROUP_ROWS on|off V1|V2 0|1 LOG...\n');
  process.exit(2);
}

// "cs(User-Agent)" -> "cs_user_agent", "timestamp(ms)" -> "timestamp_ms" (Athena's Parquet DDL names).
const pqName = (f) => f.toLowerCase().replace(/^cs\((.*)\)$/, 'cs_$1').replace('(ms)', '_ms').replaceAll('-', '_');

let names = null;
const rows = [];
for (const log of logs) {
  for (const line of readFileSync(log, 'latin1').split('\n')) {
    if (line.startsWith('#Fields:')) {
      const n = line.slice(8).trim().split(/\s+/).map(pqName);
      if (names && names.join() !== n.join()) throw new Error(`${log}: another #Fields: line`);
      names = n;
    } else if (line && !line.startsWith('#')) {
      rows.push(line);
    }
  }
}
const dir = mkdtempSync(join(tmpdir(), 'cfs-pq-'));
try {
  const tsv = join(dir, 'rows.tsv');
  writeFileSync(tsv, names.join('\t') + '\n' + rows.join('\n') + '\n', 'latin1');
  const cols = names.map((n) => `'${n}': 'VARCHAR'`).join(', ');
  const lit = (s) => `'${s.replaceAll("'", "''")}'`;
  const opts = [`FORMAT parquet`, `COMPRESSION '${codec}'`, `ROW_GROUP_SIZE ${Number(rgRows)}`,
    `PARQUET_VERSION ${pagever}`];
  if (dict === 'off') opts.push('DICTIONARY_SIZE_LIMIT 0');
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  await con.run(`COPY (SELECT * FROM read_csv(${lit(tsv)}, delim = '\\t', header = true, quote = '', escape = '',
                 auto_detect = false, columns = {${cols}}, nullstr = ${nulls === '1' ? "'-'" : "'\\0'"},
                 strict_mode = false))
                 TO ${lit(out)} (${opts.join(', ')})`);
  const n = (await con.runAndReadAll(`SELECT count(*) FROM read_parquet(${lit(out)})`)).getRows()[0][0];
  process.stdout.write(JSON.stringify({ rows: Number(n), columns: names.length }) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
