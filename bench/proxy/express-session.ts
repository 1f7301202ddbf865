// express-session.ts -- the competing stack: express 5 + express-session
// (MemoryStore) + http-proxy-middleware 3, the way a Node team would put an
// authenticating proxy together. POST /login checks the password and stores
// the user in the session; every /app request must carry that session, and
// the back-end receives the same identity headers Gatehouse sends for
// `c: [iv_user, iv_groups]`. Run as a child: node express-session.js <backend-url>,
// with BENCH_PASSWORD in the environment. With BENCH_REDIS_URL set the
// sessions live in that Redis instead (connect-redis 9 over a node-redis 5
// client, key prefix BENCH_REDIS_PREFIX), the usual way to share them
// between hosts.
import crypto from 'node:crypto';
import http from 'node:http';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { announce, answerHealth, backendArg, tuneLikeGatehouse } from './child.js';
import { BENCH_GROUPS, BENCH_USER, HEALTH_PATH } from './protocol.js';

declare module 'express-session' {
  interface SessionData { user: string; groups: string[] }
}

const backend = backendArg();
const password = process.env['BENCH_PASSWORD'] ?? '';
if (password === '') { process.stderr.write('express-session.js: BENCH_PASSWORD is not set\n'); process.exit(2); }
delete process.env['BENCH_PASSWORD'];

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();
const expected = digest(password);

/** MemoryStore, or connect-redis on BENCH_REDIS_URL. */
async function store(): Promise<session.Store> {
  const url = process.env['BENCH_REDIS_URL'];
  if (url === undefined || url === '') return new session.MemoryStore();
  const client = createClient({ url });
  client.on('error', (err: Error) => { process.stderr.write(`express-session.js: redis: ${err.message}\n`); });
  await client.connect();
  return new RedisStore({ client, prefix: process.env['BENCH_REDIS_PREFIX'] ?? 'sess:' });
}

const app = express();
app.disable('x-powered-by');
app.get(HEALTH_PATH, (_req, res) => { answerHealth(res); });
app.use(session({
  store: await store(),
  secret: crypto.randomBytes(32).toString('hex'),
  resave: false,
  saveUninitialized: false,
  // Gatehouse's default session timeout (session.timeout 3600 s).
  cookie: { httpOnly: true, sameSite: 'lax', maxAge: 3_600_000 },
}));

app.post('/login', express.urlencoded({ extended: false, limit: '16kb' }), (req, res, next) => {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const ok = body['username'] === BENCH_USER && typeof body['password'] === 'string'
    && crypto.timingSafeEqual(digest(body['password']), expected);
  if (!ok) { res.status(401).type('text').send('login failed\n'); return; }
  // A new session ID at login (no fixation), as Gatehouse does.
  req.session.regenerate((err) => {
    if (err) { next(err); return; }
    req.session.user = BENCH_USER;
    req.session.groups = [...BENCH_GROUPS];
    res.redirect(302, '/app/');
  });
});

app.use('/app', (req, res, next) => {
  if (typeof req.session.user === 'string') { next(); return; }
  res.status(401).type('text').send('login required\n');
});

app.use('/app', createProxyMiddleware<express.Request, express.Response>({
  target: backend.origin,
  changeOrigin: true,  // Host: the back-end's, as Gatehouse and the baselines send
  xfwd: true,          // X-Forwarded-For/-Proto/-Host, as Gatehouse and the baselines send
  agent: new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 }),
  on: {
    proxyReq: (proxyReq, req) => {
      proxyReq.setHeader('iv-user', req.session.user ?? '');
      proxyReq.setHeader('iv-groups', (req.session.groups ?? []).map((g) => `"${g}"`).join(','));
    },
  },
}));

const server = http.createServer({ maxHeaderSize: 16384 }, app);
tuneLikeGatehouse(server);
announce(server);
