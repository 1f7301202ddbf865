// listeners.ts -- the proxy's HTTP and HTTPS listeners (keep-alive on),
// each handing requests and upgrades to the gateway.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Gateway } from '../proxy/gateway.js';

export interface Listening {
  http?: string;
  https?: string;
  close(): Promise<void>;
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function tune(server: http.Server, config: Config): void {
  server.keepAliveTimeout = config.listen['keep-alive-timeout'] * 1000;
  // Slow-loris guard: a client gets this long to send its headers.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;  // bodies may stream for long (uploads); the junction has its own idle timeout
}

function urlOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startListeners(config: Config, gateway: Gateway): Promise<Listening> {
  const servers: http.Server[] = [];
  const out: Listening = { close: async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeIdleConnections(); })));
  } };
  try {
    if (config.listen.http !== false) {
      const s = http.createServer({ maxHeaderSize: 16384 }, gateway.handle);
      s.on('upgrade', gateway.upgrade);
      tune(s, config);
      servers.push(s);
      out.http = urlOf('http', config.listen.http.host, await listen(s, config.listen.http.host, config.listen.http.port));
    }
    if (config.listen.https !== false) {
      const t = config.listen.https;
      const s = https.createServer({ cert: fs.readFileSync(t.cert), key: fs.readFileSync(t.key), maxHeaderSize: 16384 }, gateway.handle);
      s.on('upgrade', gateway.upgrade);
      tune(s, config);
      servers.push(s);
      out.https = urlOf('https', t.host, await listen(s, t.host, t.port));
    }
  } catch (err) {
    await out.close();
    throw err;
  }
  return out;
}
