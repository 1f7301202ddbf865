// demo-backend.ts -- the back-end `npm start` puts behind Gatehouse: a page
// that shows the identity headers it received (iv-user, iv-groups, the
// decoded iv-creds, iv_server_name, the user session ID) and a link that
// ends all of the user's sessions through the EAI trigger header.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeCredential } from '../proxy/creds.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;word-break:break-all}
th{background:#f3f5f7;width:12rem}code{font-size:13px}nav a{margin-right:1rem}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;
}

const SHOWN = ['iv-user', 'iv-user-l', 'iv-groups', 'iv_server_name', 'user-session-id', 'iv-remote-address', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://demo');
  const user = String(req.headers['iv-user'] ?? 'Unauthenticated');
  if (url.pathname === '/sign-out-everywhere') {
    // The EAI trigger: Gatehouse runs this task and strips the header.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'am-eai-server-task': `terminate all_sessions ${user.includes(' ') ? `"${user}"` : user}` });
    res.end(page('Signed out everywhere', `<p>All sessions of <b>${esc(user)}</b> were ended. <a href="/app/">Try the application again</a>.</p>`));
    return;
  }
  const rows = SHOWN.map((h) => `<tr><th>${esc(h)}</th><td><code>${esc(String(req.headers[h] ?? '—'))}</code></td></tr>`).join('');
  let creds = '—';
  const raw = req.headers['iv-creds'];
  if (typeof raw === 'string') {
    try { creds = esc(JSON.stringify(decodeCredential(raw), null, 2)); } catch (err) { creds = `undecodable: ${esc((err as Error).message)}`; }
  }
  const nav = user === 'Unauthenticated'
    ? '<nav><a href="/app/">Sign in to the demo application</a></nav>'
    : '<nav><a href="/app/">Reload</a><a href="/app/sign-out-everywhere">Sign out everywhere (EAI trigger)</a><a href="/pkmslogout">Log out</a></nav>';
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page(`Hello, ${user}`, `${nav}<h2>Identity headers this back-end received</h2><table>${rows}</table>
<h2>iv-creds, decoded with <code>decodeCredential()</code></h2><pre><code>${creds}</code></pre>
<p>Path at the back-end: <code>${esc(url.pathname)}</code></p>`));
}

export async function startDemoBackend(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', () => resolve()); });
  const { port: p } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${p}`,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
