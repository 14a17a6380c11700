// Node.js using its thread pools the normal way: fs, crypto, zlib and dns go through libuv's
// thread pool, a worker_threads Worker runs and exits. Node joins all of it at exit; the only
// thread left is the inspector's I/O thread (default set "node"). Output is deterministic.
const fs = require('fs');
const crypto = require('crypto');
const zlib = require('zlib');
const { Worker } = require('worker_threads');

async function main() {
  const text = await fs.promises.readFile(__filename, 'utf8');
  console.log('read', text.length > 100);
  const key = await new Promise((ok, ko) => crypto.pbkdf2('pw', 'salt', 1000, 16, 'sha256', (e, k) => (e ? ko(e) : ok(k))));
  console.log('pbkdf2', key.toString('hex'));
  const gz = await new Promise((ok, ko) => zlib.gzip('hello '.repeat(1000), (e, b) => (e ? ko(e) : ok(b))));
  console.log('gunzip', zlib.gunzipSync(gz).length);
  const answer = await new Promise((ok, ko) => {
    const w = new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true });
    w.on('message', ok);
    w.on('error', ko);
  });
  console.log('worker', answer);
}
main();
