// listeners.ts -- the proxy's HTTP and HTTPS listeners (keep-alive on),
// each handing requests and upgrades to the gateway, with time limits on
// how a request arrives (listen.client-connect-timeout, intra-connection-timeout,
// request-timeout, keep-alive-timeout).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/types.js';
import type { Gateway } from '../proxy/gateway.js';
import { ListenError } from '../net/listen-error.js';

export interface Listening {
  http?: string;
  https?: string;
  close(): Promise<void>;
}

function listen(server: http.Server, name: string, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => reject(new ListenError(name, host, port, err));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

interface Limits { headersMs: number; requestMs: number; idleMs: number; keepAliveMs: number }

function limitsOf(config: Config): Limits {
  const l = config.listen;
  return {
    headersMs: l['client-connect-timeout'] * 1000,
    requestMs: l['request-timeout'] * 1000,
    idleMs: l['intra-connection-timeout'] * 1000,
    keepAliveMs: l['keep-alive-timeout'] * 1000,
  };
}

/** Options Node takes only at creation: the two deadlines and how often they are checked. */
function serverOptions(lim: Limits): http.ServerOptions {
  const shortest = Math.min(...[lim.headersMs, lim.requestMs].filter((ms) => ms > 0), 30_000);
  return {
    maxHeaderSize: 16384,
    // Slow-loris guard: the request head within client-connect-timeout (also a connection that sends nothing).
    headersTimeout: lim.headersMs,
    requestTimeout: lim.requestMs,
    connectionsCheckingInterval: Math.max(250, Math.floor(shortest / 4)),
  };
}

/**
 * A socket silent for intra-connection-timeout while its request is still
 * arriving is closed (a stalled body: the declared 16 KiB never come). While
 * the request is complete and the proxy answers, silence is the back-end's:
 * the junction's response and idle timeouts decide.
 */
function endStalledRequest(this: http.ServerResponse, socket: Duplex): void {
  if (!this.req.complete) socket.destroy();
}

function tune(server: http.Server, lim: Limits): void {
  server.keepAliveTimeout = lim.keepAliveMs;
  server.timeout = lim.idleMs;
}

function onRequest(gateway: Gateway, idleMs: number): http.RequestListener {
  if (idleMs === 0) return gateway.handle;
  return (req, res) => {
    res.on('timeout', endStalledRequest);
    gateway.handle(req, res);
  };
}

function urlOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startListeners(config: Config, gateway: Gateway): Promise<Listening> {
  const servers: http.Server[] = [];
  const lim = limitsOf(config);
  const out: Listening = { close: async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeIdleConnections(); })));
  } };
  try {
    if (config.listen.http !== false) {
      const s = http.createServer(serverOptions(lim), onRequest(gateway, lim.idleMs));
      s.on('upgrade', gateway.upgrade);
      tune(s, lim);
      servers.push(s);
      out.http = urlOf('http', config.listen.http.host, await listen(s, 'proxy http', config.listen.http.host, config.listen.http.port));
    }
    if (config.listen.https !== false) {
      const t = config.listen.https;
      const s = https.createServer({ cert: fs.readFileSync(t.cert), key: fs.readFileSync(t.key), ...serverOptions(lim) }, onRequest(gateway, lim.idleMs));
      s.on('upgrade', gateway.upgrade);
      tune(s, lim);
      servers.push(s);
      out.https = urlOf('https', t.host, await listen(s, 'proxy https', t.host, t.port));
    }
  } catch (err) {
    await out.close();
    throw err;
  }
  return out;
}
