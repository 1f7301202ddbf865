// plain-undici.ts -- baseline 1: a plain Node reverse proxy with no session
// logic, forwarding over an undici Pool with the low-level dispatch API, the
// transport and API Gatehouse's junctions use (lib/proxy/backend-pool.ts,
// forward-http.ts). Same server settings, same header rules, body streamed
// with back-pressure. Run as a child: node plain-undici.js <backend-url>.
import http from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { announce, answerHealth, backendArg, tuneLikeGatehouse } from './child.js';
import { HEALTH_PATH } from './protocol.js';
import { clientAddress, forwardRequestHeaders, forwardResponseHeaders } from './headers.js';

const backend = backendArg();
// Gatehouse's pool options at their config defaults (connect 5 s, response 120 s, body idle 120 s).
const pool = new Pool(backend.origin, { connect: { timeout: 5_000 }, headersTimeout: 120_000, bodyTimeout: 120_000 });

function fail(res: http.ServerResponse, err: Error): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(502, { 'content-type': 'text/plain' });
  res.end(`bad gateway: ${err.message}\n`);
}

const server = http.createServer({ maxHeaderSize: 16384 }, (req, res) => {
  if (req.url === HEALTH_PATH) { answerHealth(res); return; }
  const withBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  let controller: Dispatcher.DispatchController | undefined;
  res.on('drain', () => controller?.resume());
  res.on('close', () => { if (!res.writableFinished) controller?.abort(new Error('client closed the connection')); });
  pool.dispatch({
    path: req.url ?? '/',
    method: req.method ?? 'GET',
    headers: forwardRequestHeaders(req.rawHeaders, clientAddress(req.socket.remoteAddress), backend.host),
    body: withBody ? req : null,
  }, {
    onRequestStart: (c) => { controller = c; },
    onResponseStart: (_c, status, headers, reason) => {
      if (status < 200) return;
      if (reason !== undefined && reason !== '') res.writeHead(status, reason, forwardResponseHeaders(headers));
      else res.writeHead(status, forwardResponseHeaders(headers));
    },
    onResponseData: (c, chunk) => { if (!res.write(chunk)) c.pause(); },
    onResponseEnd: () => { res.end(); },
    onResponseError: (_c, err) => fail(res, err),
  });
});
tuneLikeGatehouse(server);
announce(server);
