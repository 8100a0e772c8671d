// A fault-injecting HTTP proxy in front of s3rver for tests/test_s3.c, for what s3rver
// cannot do by itself.  Every request is logged to --log as "METHOD URL REGION TOKEN"
// (REGION from the Authorization's credential scope, TOKEN 1 when x-amz-security-token
// was sent; never the key, the signature or the token itself).
//   --target PORT --port-file F --log F
//   --fail-twice S   GETs whose path holds S answer 503 SlowDown twice, then pass
//   --fail-always S  GETs whose path holds S answer 500 every time
//   --cut-later S    GETs whose path holds S, for a range that does not start at byte 0,
//                    send the headers and half the body, then close
//   --not-found S    GETs whose path holds S answer 404 NoSuchKey
//   --region R       HEAD of a bucket answers x-amz-bucket-region: R
//   --not-s3 1       listings answer 200 with a web page (a wrong port, a captive proxy)
//   --stall-head 1   a HEAD is never answered (the connection stays open)
//   --other-etag S   GETs whose path holds S answer the object with another ETag than the
//                    listed one (a store that ignored If-Match after a rewrite)
//   --weak-etag S    GETs whose path holds S answer the listed ETag as a weak one, W/"..."
//                    (a proxy's rewrite of the same version)
//   --dot-key S      listings name each key holding S as cf/x/../NAME (a key with dot
//                    segments, which s3rver cannot store); a request whose path holds
//                    /x/../ goes to the server without it, so only a client that sends the
//                    path as listed (no dot segments squashed) reaches the object that way
import fs from 'node:fs';
import http from 'node:http';

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const failed = new Map();
const has = (k, url) => a[k] && decodeURIComponent(url).includes(a[k]);
const xmlError = (res, status, code) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test</Message></Error>`);
};

const server = http.createServer((req, res) => {
  const m = /Credential=[^/]*\/[0-9]{8}\/([^/]*)\//.exec(req.headers.authorization || '');
  fs.appendFileSync(a.log, `${req.method} ${req.url} ${m ? m[1] : '-'} ${req.headers['x-amz-security-token'] ? 1 : 0}\n`);
  if (req.method === 'HEAD' && a['stall-head']) return;
  if (req.method === 'HEAD' && a.region && !req.url.slice(1).includes('/')) {
    res.writeHead(200, { 'x-amz-bucket-region': a.region });
    res.end();
    return;
  }
  if (req.method === 'GET') {
    if (a['not-s3'] && /[?&]list-type=2/.test(req.url)) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
      return;
    }
    if (has('not-found', req.url)) return xmlError(res, 404, 'NoSuchKey');
    if (has('fail-always', req.url)) return xmlError(res, 500, 'InternalError');
    if (has('fail-twice', req.url)) {
      const n = failed.get(req.url) || 0;
      if (n < 2) {
        failed.set(req.url, n + 1);
        return xmlError(res, 503, 'SlowDown');
      }
    }
  }
  const listing = a['dot-key'] && req.method === 'GET' && /[?&]list-type=2/.test(req.url);
  const path = a['dot-key'] ? req.url.replace('/x/../', '/') : req.url;
  const up = http.request(
    { host: '127.0.0.1', port: Number(a.target), method: req.method, path, headers: req.headers },
    (ur) => {
      if (listing) {
        const chunks = [];
        ur.on('data', (d) => chunks.push(d));
        ur.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').replace(/<Key>cf\/([^<]*)<\/Key>/g,
            (k, name) => (name.includes(a['dot-key']) ? `<Key>cf/x/../${name}</Key>` : k));
          const h = { ...ur.headers, 'content-length': Buffer.byteLength(body) };
          delete h['transfer-encoding'];
          res.writeHead(ur.statusCode, h);
          res.end(body);
        });
        return;
      }
      const later = has('cut-later', req.url) && !/^bytes=0-/.test(req.headers.range || '');
      if (req.method === 'GET' && later && ur.statusCode < 300) {
        const len = Number(ur.headers['content-length'] || 0);
        res.writeHead(ur.statusCode, ur.headers);
        const chunks = [];
        ur.on('data', (d) => chunks.push(d));
        ur.on('end', () => {
          res.write(Buffer.concat(chunks).subarray(0, Math.floor(len / 2)));
          setTimeout(() => res.socket.destroy(), 20);
        });
        return;
      }
      const get = req.method === 'GET' && ur.statusCode < 300;
      let h = ur.headers;
      if (get && has('other-etag', req.url)) h = { ...h, etag: '"0123456789abcdef0123456789abcdef"' };
      if (get && has('weak-etag', req.url) && h.etag) h = { ...h, etag: `W/${h.etag}` };
      res.writeHead(ur.statusCode, h);
      ur.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(a['port-file'] + '.tmp', String(server.address().port));
  fs.renameSync(a['port-file'] + '.tmp', a['port-file']);
});
process.on('SIGTERM', () => process.exit(0));
