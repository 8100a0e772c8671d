// Reads a Parquet file with an independent reader and prints what it finds, one JSON
// array per line, for tests/test_parquet.c to compare with the values it wrote.
// Usage: node read_parquet.mjs MODE FILE      (see README.md in this folder)
//
// Data values are printed so that nothing is lost on the way to C: strings and binary
// values as lowercase hex of their bytes, integers and timestamps (epoch ms) as decimal
// strings, doubles as the 16 hex digits of their IEEE-754 bits, booleans as "0"/"1",
// nulls as null.
import { readFileSync } from 'node:fs';

const [mode, file] = process.argv.slice(2);
if (!mode || !file) {
  console.error('usage: node read_parquet.mjs ' +
    '{duckdb-describe|duckdb-rows|duckdb-meta|hyparquet-rows|hyparquet-pages|hyparquet-meta} FILE');
  process.exit(2);
}

const out = (arr) => process.stdout.write(JSON.stringify(arr) + '\n');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const doubleBits = (x) => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0).toString(16).padStart(16, '0');
};
// SQL string literal and identifier quoting.
const lit = (s) => "'" + s.replaceAll("'", "''") + "'";
const ident = (s) => '"' + s.replaceAll('"', '""') + '"';

async function duckdb(fn) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await fn(async (sql) => (await conn.runAndReadAll(sql)).getRows());
  } finally {
    conn.closeSync();
  }
}

async function duckdbDescribe() {
  await duckdb(async (q) => {
    for (const r of await q(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`))
      out([String(r[0]), String(r[1]), String(r[2])]);
  });
}

// SELECT * in file order, each column cast in SQL to an exact text form by its type.
async function duckdbRows() {
  await duckdb(async (q) => {
    const cols = await q(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`);
    const exprs = cols.map(([name, type]) => {
      const c = ident(String(name));
      const t = String(type);
      if (t === 'VARCHAR' || t === 'BLOB') return `lower(hex(${c}))`;
      if (t === 'BOOLEAN') return `CAST(CAST(${c} AS INTEGER) AS VARCHAR)`;
      if (t.startsWith('TIMESTAMP')) return `CAST(epoch_ms(${c}) AS VARCHAR)`;
      if (t === 'DOUBLE') return c;
      return `CAST(${c} AS VARCHAR)`;
    });
    const isDouble = cols.map(([, type]) => String(type) === 'DOUBLE');
    const rows = await q(`SELECT ${exprs.join(', ')} FROM read_parquet(${lit(file)})`);
    for (const r of rows)
      out(r.map((v, i) => (v === null ? null : isDouble[i] ? doubleBits(v) : String(v))));
  });
}

// One line per column chunk from DuckDB's parquet_metadata(): its reading of the footer.
async function duckdbMeta() {
  await duckdb(async (q) => {
    const rows = await q(`SELECT row_group_id, column_id, path_in_schema, type, num_values,
        stats_min_value, stats_max_value, stats_null_count, compression, encodings,
        dictionary_page_offset, row_group_num_rows
      FROM parquet_metadata(${lit(file)}) ORDER BY row_group_id, column_id`);
    for (const r of rows) out(r.map((v) => (v === null ? null : String(v))));
  });
}

async function hyparquet() {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { ab, meta: parquetMetadata(ab), parquetReadObjects, compressors };
}

async function hyparquetRows() {
  const { ab, meta, parquetReadObjects, compressors } = await hyparquet();
  const leaves = meta.schema.slice(1);
  const rows = await parquetReadObjects({
    file: ab,
    compressors,
    parsers: {
      stringFromBytes: (b) => (b === undefined || b === null ? b : hex(b)),
      timestampFromMilliseconds: (ms) => String(ms),
    },
  });
  for (const row of rows) {
    out(leaves.map((el) => {
      const v = row[el.name];
      if (v === null || v === undefined) return null;
      if (el.type === 'DOUBLE') return doubleBits(v);
      if (el.type === 'BOOLEAN') return v ? '1' : '0';
      if (v instanceof Uint8Array) return hex(v);
      return String(v);
    }));
  }
}

// Schema and footer as hyparquet parses them: one line for the file, one per leaf.
async function hyparquetMeta() {
  const { meta } = await hyparquet();
  out(['file', String(meta.version), String(meta.num_rows), String(meta.row_groups.length),
    meta.created_by ?? null]);
  for (const el of meta.schema.slice(1)) {
    const lt = el.logical_type;
    out(['column', el.name, el.type, el.repetition_type, el.converted_type ?? null,
      lt ? lt.type : null,
      lt && lt.type === 'TIMESTAMP' ? `${lt.isAdjustedToUTC}:${lt.unit}` : null]);
  }
}

// Walks every column chunk page by page with hyparquet's Thrift decoder, checking that
// the pages exactly fill the chunk's compressed size; one line per page.
async function hyparquetPages() {
  const { ab, meta } = await hyparquet();
  const { deserializeTCompactProtocol } = await import('hyparquet/src/thrift.js');
  const view = new DataView(ab);
  meta.row_groups.forEach((rg, g) => {
    rg.columns.forEach((cc, c) => {
      const md = cc.meta_data;
      const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
      const end = start + Number(md.total_compressed_size);
      const reader = { view, offset: start };
      while (reader.offset < end) {
        const h = deserializeTCompactProtocol(reader);
        const dp = h.field_5;
        const dict = h.field_7;
        out([String(g), String(c), String(h.field_1),
          String(dp ? dp.field_1 : dict ? dict.field_1 : -1),
          String(dp ? dp.field_2 : dict ? dict.field_2 : -1),
          String(h.field_2), String(h.field_3)]);
        reader.offset += h.field_3;
      }
      if (reader.offset !== end) throw new Error(`pages overrun chunk ${g}/${c}`);
    });
  });
}

const modes = {
  'duckdb-describe': duckdbDescribe,
  'duckdb-rows': duckdbRows,
  'duckdb-meta': duckdbMeta,
  'hyparquet-rows': hyparquetRows,
  'hyparquet-meta': hyparquetMeta,
  'hyparquet-pages': hyparquetPages,
};
if (!modes[mode]) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
try {
  await modes[mode]();
} catch (e) {
  console.error(`read_parquet.mjs ${mode} ${file}: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}
