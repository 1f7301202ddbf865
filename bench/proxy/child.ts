// child.ts -- the child side of the benchmark's processes (back-end and
// baseline proxies): listen on an ephemeral port with the same server
// settings Gatehouse's listeners use, tell the parent the URL over IPC, and
// exit cleanly on SIGTERM.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEALTH_BODY } from './protocol.js';

/** What lib/server/listeners.ts sets on Gatehouse's servers (keep-alive-timeout default 5 s). */
export function tuneLikeGatehouse(server: http.Server): void {
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;
}

/** Listens on 127.0.0.1:0 and sends {type:'listening', url} to the parent. */
export function announce(server: http.Server): void {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ type: 'listening', url: `http://127.0.0.1:${port}` });
  });
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
  // The parent is gone (crashed or killed): do not linger.
  process.once('disconnect', () => process.exit(0));
}

/** The health check's answer (protocol.ts HEALTH_PATH). */
export function answerHealth(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(HEALTH_BODY) });
  res.end(HEALTH_BODY);
}

/** The one command-line argument every proxy child takes: the back-end URL. */
export function backendArg(): URL {
  const arg = process.argv[2];
  if (arg === undefined) {
    process.stderr.write('usage: node <proxy>.js <backend-url>\n');
    process.exit(2);
  }
  return new URL(arg);
}
