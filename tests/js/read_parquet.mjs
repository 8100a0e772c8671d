// Reads a Parquet file with independent readers and prints what they find, one JSON
// array per line, for tests/test_parquet.c to compare with the values it wrote.
// Usage: node read_parquet.mjs MODE[,MODE...] FILE      (see README.md in this folder)
// Each mode's output starts with the line ["#", MODE]; several modes in one run share
// the Node start-up and the DuckDB instance.
//
// Data values are printed so that nothing is lost on the way to C: strings and binary
// values as lowercase hex of their bytes, integers and timestamps (epoch ms) as decimal
// strings, doubles as the 16 hex digits of their IEEE-754 bits, booleans as "0"/"1",
// nulls as null.
import { readFileSync } from 'node:fs';

const [modeArg, file] = process.argv.slice(2);

// Lines are batched: one write per line to a pipe costs more than the reading itself.
let pending = [];
let pendingBytes = 0;
const flush = () => {
  if (pending.length) process.stdout.write(pending.join(''));
  pending = [];
  pendingBytes = 0;
};
const out = (arr) => {
  const line = JSON.stringify(arr) + '\n';
  pending.push(line);
  pendingBytes += line.length;
  if (pendingBytes >= 1 << 20) flush();
};
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const doubleBits = (x) => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0).toString(16).padStart(16, '0');
};
// SQL string literal and identifier quoting.
const lit = (s) => "'" + s.replaceAll("'", "''") + "'";
const ident = (s) => '"' + s.replaceAll('"', '""') + '"';

let duckConn = null;
async function duckdb(fn) {
  if (!duckConn) {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    // one thread: the C tests run several readers side by side on small machines
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    duckConn = await instance.connect();
  }
  await fn(async (sql) => (await duckConn.runAndReadAll(sql)).getRows());
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

// hyparquet's own conversions are replaced where they would lose bytes: strings stay
// bytes (hex), timestamps stay integer milliseconds.
const hyparsers = {
  stringFromBytes: (b) => (b === undefined || b === null ? b : hex(b)),
  timestampFromMilliseconds: (ms) => String(ms),
};

async function hyparquet() {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { ab, meta: parquetMetadata(ab, { parsers: hyparsers }), parquetReadObjects, compressors };
}

const hytoken = (el, v) => {
  if (v === null || v === undefined) return null;
  if (el.type === 'DOUBLE') return doubleBits(v);
  if (el.type === 'BOOLEAN') return v ? '1' : '0';
  if (v instanceof Uint8Array) return hex(v);
  return String(v);
};

async function hyparquetRows() {
  const { ab, meta, parquetReadObjects, compressors } = await hyparquet();
  const leaves = meta.schema.slice(1);
  const rows = await parquetReadObjects({ file: ab, compressors, parsers: hyparsers });
  for (const row of rows) out(leaves.map((el) => hytoken(el, row[el.name])));
}

// Chunk statistics as hyparquet decodes them (min_value/max_value, typed by the schema):
// [row group, column, null_count, min_value, max_value], values as in hyparquet-rows.
async function hyparquetStats() {
  const { meta } = await hyparquet();
  const leaves = meta.schema.slice(1);
  meta.row_groups.forEach((rg, g) => {
    rg.columns.forEach((cc, c) => {
      const st = cc.meta_data.statistics ?? {};
      out([String(g), String(c), st.null_count === undefined ? null : String(st.null_count),
        hytoken(leaves[c], st.min_value), hytoken(leaves[c], st.max_value)]);
    });
  });
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
  'hyparquet-stats': hyparquetStats,
};
const wanted = (modeArg ?? '').split(',').filter((m) => m);
if (!file || wanted.length === 0 || wanted.some((m) => !modes[m])) {
  console.error(`usage: node read_parquet.mjs MODE[,MODE...] FILE\nmodes: ${Object.keys(modes).join(' ')}`);
  process.exit(2);
}
let current = '';
try {
  for (current of wanted) {
    out(['#', current]);
    await modes[current]();
  }
} catch (e) {
  console.error(`read_parquet.mjs ${current} ${file}: ${e && e.stack ? e.stack : e}`);
  // exitCode, not process.exit(): stdout to a pipe is written asynchronously and exit()
  // would cut off what the modes before the failing one printed
  process.exitCode = 1;
}
flush();
if (duckConn) duckConn.closeSync();
