// backend.ts -- the one back-end every contestant forwards to (a child
// process of the benchmark): node:http, keep-alive, a small fixed response.
// It counts what it receives so the runner can prove each contestant served
// authenticated requests: `identified` counts requests whose iv-user header
// names the benchmark user. IPC: CountsRequest -> CountsMessage.
import http from 'node:http';
import { announce } from './child.js';
import { BACKEND_BODY, BENCH_USER, type BackendCounts, type CountsMessage, type CountsRequest } from './protocol.js';

const body = Buffer.from(BACKEND_BODY);
let counts: BackendCounts = { total: 0, identified: 0 };

const server = http.createServer((req, res) => {
  counts.total++;
  if (req.headers['iv-user'] === BENCH_USER) counts.identified++;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
// Longer than any proxy's pool idle time: back-end connections are never cut between runs.
server.keepAliveTimeout = 60_000;

process.on('message', (m: CountsRequest) => {
  if (m?.type !== 'counts') return;
  process.send?.({ type: 'counts', ...counts } satisfies CountsMessage);
  if (m.reset) counts = { total: 0, identified: 0 };
});

announce(server);
