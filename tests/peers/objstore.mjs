// tests/peers/objstore.mjs - the object-store peers of test_objstore: an
// s3rver (S3) on loopback with bucket "kiln", a fault-injecting HTTP proxy in
// front of it, a plain HTTP file server over a directory, and azurite's Blob
// service (when installed; port 0 otherwise), and the file server over https
// with a self-signed certificate DATA_DIR/cert.pem (port 0 without openssl).
// Prints one JSON line {"s3":PORT,"proxy":PORT,"http":PORT,"azure":PORT,
// "https":PORT} and runs until stdin closes.
// argv: DATA_DIR SERVE_DIR. Modules from $KILN_PEERS_DIR/node_modules.
//
// The proxy takes its faults from requests to /__fault?mode=M&count=N (not
// forwarded): mode 503 or 429 answers the next N requests with that status
// (429 with Retry-After: 1), mode drop sends half of the next N GET bodies
// and then destroys the connection. /__stats gives {"requests":N,...}.
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const peers = process.env.KILN_PEERS_DIR || path.join(process.env.HOME, '.cache/kiln-peers');
const require = createRequire(path.join(peers, 'node_modules', 'x.js'));
const S3rver = require('s3rver');
const [dataDir, serveDir] = process.argv.slice(2);

const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dataDir,
                         configureBuckets: [{ name: 'kiln' }] });
const addr = await s3.run();
const s3port = addr.port;

let fault = { mode: '', count: 0 }, stats = { requests: 0, faults: 0 };
const proxy = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/__fault') {
    fault = { mode: u.searchParams.get('mode'), count: +u.searchParams.get('count') };
    res.end('ok');
    return;
  }
  if (u.pathname === '/__stats') { res.end(JSON.stringify(stats)); return; }
  stats.requests++;
  if (fault.count > 0 && (fault.mode === '503' || fault.mode === '429')) {
    fault.count--; stats.faults++;
    req.resume();
    res.writeHead(+fault.mode, fault.mode === '429' ? { 'Retry-After': '1' } : {});
    res.end('<Error><Code>SlowDown</Code></Error>');
    return;
  }
  const drop = fault.count > 0 && fault.mode === 'drop' && req.method === 'GET' &&
               req.headers.range;
  if (drop) { fault.count--; stats.faults++; }
  const up = http.request({ host: '127.0.0.1', port: s3port, method: req.method, path: req.url,
                            headers: req.headers }, (ur) => {
    if (!drop) { res.writeHead(ur.statusCode, ur.headers); ur.pipe(res); return; }
    const chunks = [];
    ur.on('data', (c) => chunks.push(c));
    ur.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(ur.statusCode, ur.headers);
      res.write(body.subarray(0, body.length >> 1), () => res.socket.destroy());
    });
  });
  req.pipe(up);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));

const serveFile = (req, res) => {
  const name = path.join(serveDir, path.basename(new URL(req.url, 'http://x').pathname));
  fs.stat(name, (err, st) => {
    if (err) { res.writeHead(404); res.end(); return; }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
    const start = m ? +m[1] : 0, end = m ? Math.min(+m[2], st.size - 1) : st.size - 1;
    res.writeHead(m ? 206 : 200, { 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
    if (req.method === 'HEAD' || st.size === 0) { res.end(); return; }
    fs.createReadStream(name, { start, end }).pipe(res);
  });
};
const files = http.createServer(serveFile);
await new Promise((r) => files.listen(0, '127.0.0.1', r));

// The same files over https with a self-signed certificate for 127.0.0.1
// (DATA_DIR/cert.pem), when the openssl command is there.
let httpsPort = 0;
try {
  const key = path.join(dataDir, 'key.pem'), cert = path.join(dataDir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                           '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
                           '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
                                 serveFile);
  await new Promise((r) => tls.listen(0, '127.0.0.1', r));
  httpsPort = tls.address().port;
} catch (e) {
  httpsPort = 0;
}

// Azurite on a free port, in its own process (killed with us).
let azport = 0, azurite = null;
const azMain = path.join(peers, 'node_modules/azurite/dist/src/blob/main.js');
if (fs.existsSync(azMain)) {
  azport = await new Promise((r) => {
    const t = net.createServer();
    t.listen(0, '127.0.0.1', () => { const p = t.address().port; t.close(() => r(p)); });
  });
  const loc = path.join(dataDir, 'azurite');
  fs.mkdirSync(loc, { recursive: true });
  azurite = spawn(process.execPath, [azMain, '--blobHost', '127.0.0.1', '--blobPort', String(azport),
                                     '--location', loc, '--silent', '--loose',
                                     '--skipApiVersionCheck'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const c = net.connect(azport, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

console.log(JSON.stringify({ s3: s3port, proxy: proxy.address().port,
                             http: files.address().port, azure: azport, https: httpsPort }));
process.stdin.resume();
process.stdin.on('end', async () => {
  if (azurite) azurite.kill('SIGKILL');
  await s3.close();
  process.exit(0);
});
