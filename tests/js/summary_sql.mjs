// Reads cfscan summary tables with two independent Parquet readers for tests/test_summary.c.
//   node summary_sql.mjs duckdb SQL...     one JSON line per query: its rows as arrays of strings
//   node summary_sql.mjs hyparquet FILE    one JSON line: {rows, columns, sums} (sums of number columns)
// Values are printed as strings so that 64-bit integers reach C exactly.
const [mode, ...args] = process.argv.slice(2);
const str = (v) => (v === null || v === undefined ? null : typeof v === 'object' && 'toString' in v ? v.toString() : String(v));

if (mode === 'duckdb') {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  for (const sql of args) {
    const rows = (await con.runAndReadAll(sql)).getRows();
    process.stdout.write(JSON.stringify(rows.map((r) => r.map(str))) + '\n');
  }
} else if (mode === 'hyparquet') {
  const { parquetReadObjects, parquetMetadataAsync, asyncBufferFromFile } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file = await asyncBufferFromFile(args[0]);
  const meta = await parquetMetadataAsync(file);
  const rows = await parquetReadObjects({ file, compressors });
  const columns = meta.schema.slice(1).map((s) => s.name);
  const sums = {};
  for (const c of columns) {
    let s = 0n, numeric = false;
    for (const r of rows) {
      const v = r[c];
      if (typeof v === 'bigint') { s += v; numeric = true; }
      else if (typeof v === 'number' && Number.isInteger(v)) { s += BigInt(v); numeric = true; }
    }
    if (numeric) sums[c] = s.toString();
  }
  process.stdout.write(JSON.stringify({ rows: rows.length, columns, sums }) + '\n');
} else {
  process.stderr.write('usage: summary_sql.mjs duckdb SQL... | hyparquet FILE\n');
  process.exit(2);
}
