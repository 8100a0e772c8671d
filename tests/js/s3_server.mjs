// s3rver on 127.0.0.1 and a free port for tests/test_s3.c: creates the bucket, uploads a
// local directory's log files (*.gz, *.zst, *.log) under a prefix (anonymous PUTs, which
// s3rver accepts), then
// writes the port to --port-file and serves until SIGTERM.  Its request log goes to
// stdout (run with FORCE_COLOR=1: without colours koa-logger's lines lose their start).
//   node s3_server.mjs --dir STORE --bucket B --port-file F [--upload DIR --prefix P]
import fs from 'node:fs';
import path from 'node:path';
import S3rver from 's3rver';

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const srv = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: a.dir,
  silent: false,
  configureBuckets: [{ name: a.bucket }],
});
const addr = await srv.run();
const base = `http://127.0.0.1:${addr.port}/${a.bucket}/`;
if (a.upload) {
  for (const f of fs.readdirSync(a.upload).sort()) {
    if (!/\.(gz|zst|log|parquet)$/.test(f) || !fs.statSync(path.join(a.upload, f)).isFile()) continue;
    const body = fs.readFileSync(path.join(a.upload, f));
    const key = (a.prefix || '') + f;
    const r = await fetch(base + key.split('/').map(encodeURIComponent).join('/'), { method: 'PUT', body });
    if (!r.ok) {
      console.error(`upload ${key}: HTTP ${r.status}`);
      process.exit(1);
    }
  }
}
fs.writeFileSync(a['port-file'] + '.tmp', String(addr.port));
fs.renameSync(a['port-file'] + '.tmp', a['port-file']);
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
