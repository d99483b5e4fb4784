// node_echo.js - echo server on node's `net` module: the JavaScript peer.
//
// One process, one event loop; each socket is piped into itself, which is
// node's own backpressure (reading pauses while the write side is full).
//
//   node node_echo.js --listen 127.0.0.1:0   prints "listening on 127.0.0.1:PORT"
'use strict';
const net = require('net');

// Returns {host, port} from HOST:PORT or [V6]:PORT; exits 2 on a bad value.
function parseListen(argv) {
  let spec = '127.0.0.1:0';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--listen' && i + 1 < argv.length) {
      spec = argv[++i];
    } else if (argv[i] === '-h' || argv[i] === '--help') {
      process.stdout.write('usage: node node_echo.js [--listen HOST:PORT]\n');
      process.exit(0);
    } else {
      process.stderr.write(`node_echo: ${argv[i]}: unknown flag or missing value\n`);
      process.exit(2);
    }
  }
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(spec);
  if (!m || Number(m[2]) > 65535) {
    process.stderr.write(`node_echo: --listen: expected HOST:PORT, got '${spec}'\n`);
    process.exit(2);
  }
  return { host: m[1], port: Number(m[2]) };
}

const where = parseListen(process.argv.slice(2));
const server = net.createServer((sock) => {
  sock.on('error', () => sock.destroy());
  sock.pipe(sock);
});
server.on('error', (err) => {
  process.stderr.write(`node_echo: ${err.message}\n`);
  process.exit(1);
});
server.listen({ host: where.host, port: where.port, backlog: 4096 }, () => {
  const a = server.address();
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  process.stdout.write(`listening on ${host}:${a.port}\n`);
});
