// plain-http.ts -- baseline 2: a plain Node reverse proxy with no session
// logic, forwarding with node:http `http.request` over a keep-alive Agent
// (what many hand-written Node proxies do). Same server settings and header
// rules as baseline 1. Run as a child: node plain-http.js <backend-url>.
import http from 'node:http';
import { announce, answerHealth, backendArg, tuneLikeGatehouse } from './child.js';
import { HEALTH_PATH } from './protocol.js';
import { clientAddress, forwardRequestHeaders, forwardResponseHeaders } from './headers.js';

const backend = backendArg();
// Unbounded sockets like undici's Pool default; idle sockets kept for reuse.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

const server = http.createServer({ maxHeaderSize: 16384 }, (req, res) => {
  if (req.url === HEALTH_PATH) { answerHealth(res); return; }
  const upstream = http.request({
    host: backend.hostname,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers: forwardRequestHeaders(req.rawHeaders, clientAddress(req.socket.remoteAddress), backend.host),
    agent,
  }, (answer) => {
    const headers = forwardResponseHeaders(answer.headers);
    if (answer.statusMessage) res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
    else res.writeHead(answer.statusCode ?? 502, headers);
    answer.pipe(res);
  });
  upstream.on('error', (err) => {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`bad gateway: ${err.message}\n`);
  });
  res.on('close', () => { if (!res.writableFinished) upstream.destroy(); });
  req.pipe(upstream);
});
tuneLikeGatehouse(server);
announce(server);
