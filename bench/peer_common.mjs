// What the SQL peers of bench/run.sh (duckdb_*.mjs, chdb_query.mjs) share: their
// command line (MODULE_DIR THREADS GLOB, the engine's module loaded from MODULE_DIR through
// createRequire, so that no script needs a package.json of its own) and the 33 legacy
// fields of a CloudFront standard log in log order (reference section 1.2).
import { createRequire } from 'node:module';
import path from 'node:path';

export function peerArgs(script) {
  const [moduleDir, threads, glob] = process.argv.slice(2);
  if (!moduleDir || !threads || !glob) {
    process.stderr.write(`usage: ${script} MODULE_DIR THREADS GLOB\n`);
    process.exit(2);
  }
  const require = createRequire(path.join(path.resolve(moduleDir), 'noop.js'));
  return { require, threads, glob };
}

export const fields = ['date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)',
  'cs-uri-stem', 'sc-status', 'cs(Referer)', 'cs(User-Agent)', 'cs-uri-query', 'cs(Cookie)',
  'x-edge-result-type', 'x-edge-request-id', 'x-host-header', 'cs-protocol', 'cs-bytes',
  'time-taken', 'x-forwarded-for', 'ssl-protocol', 'ssl-cipher', 'x-edge-response-result-type',
  'cs-protocol-version', 'fle-status', 'fle-encrypted-fields', 'c-port', 'time-to-first-byte',
  'x-edge-detailed-result-type', 'sc-content-type', 'sc-content-len', 'sc-range-start',
  'sc-range-end'];

// Run sql (one row: groups, requests) on a fresh in-memory DuckDB with that many threads
// and print {seconds, threads, groups, requests} as one JSON line: the DuckDB peers' timing.
export async function timeDuckDB(DuckDBInstance, threads, sql) {
  const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await inst.connect();
  const t0 = process.hrtime.bigint();
  const rows = (await con.runAndReadAll(sql)).getRows();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({
    seconds, threads: Number(threads), groups: Number(rows[0][0]), requests: Number(rows[0][1]),
  }) + '\n');
}
