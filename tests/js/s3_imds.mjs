// A stand-in for the EC2 instance metadata service (IMDSv2) for tests/test_s3.c: a
// session token must be PUT first (with a TTL header); every GET without that token is
// refused with 401, as IMDSv2-only instances do.  Each request is logged to --log as
// "METHOD PATH TOKEN-OK".  --port-file gets the port once it listens on 127.0.0.1.
//   node s3_imds.mjs --port-file F --log F --key AK --secret SK --token ST
import fs from 'node:fs';
import http from 'node:http';

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const SESSION = 'imds-session-token-42';
const server = http.createServer((req, res) => {
  const ok = req.headers['x-aws-ec2-metadata-token'] === SESSION;
  fs.appendFileSync(a.log, `${req.method} ${req.url} ${ok ? 1 : 0}\n`);
  if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
    res.end(SESSION);
  } else if (req.method !== 'GET' || !ok) {
    res.writeHead(401);
    res.end();
  } else if (req.url === '/latest/meta-data/iam/security-credentials/') {
    res.end('test-role\n');
  } else if (req.url === '/latest/meta-data/iam/security-credentials/test-role') {
    res.end(JSON.stringify({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: a.key, SecretAccessKey: a.secret,
      Token: a.token, Expiration: '2099-01-01T00:00:00Z' }, null, 2));
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(a['port-file'] + '.tmp', String(server.address().port));
  fs.renameSync(a['port-file'] + '.tmp', a['port-file']);
});
process.on('SIGTERM', () => process.exit(0));
