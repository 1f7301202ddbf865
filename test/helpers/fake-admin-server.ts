// fake-admin-server.ts -- a stub admin listener that answers what the real
// server (lib/admin/server.ts, tested through helpers/admin-fixture.ts)
// never would: replies that break the admin API contract, and no reply at
// all. The AdminClient's tests use it to show such replies become a clear
// AdminApiError (bad_response, http_<status>, timeout), never a TypeError.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to answer a request with; 'stall' never answers. */
export type StubReply = { status: number; body: string; contentType?: string; headers?: Record<string, string> } | 'stall';

export interface StubServer {
  /** http://127.0.0.1:<port> (loopback, so the client allows credentials over plain HTTP). */
  readonly url: string;
  /** Every request seen: method and URL. */
  readonly requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

export async function startStubAdminServer(reply: (method: string, url: string) => StubReply): Promise<StubServer> {
  const requests: Array<{ method: string; url: string }> = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    const r = reply(req.method ?? '', req.url ?? '');
    if (r === 'stall') return;
    res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/json', ...r.headers }).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
