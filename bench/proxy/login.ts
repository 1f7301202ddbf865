// login.ts -- logs the benchmark user in to a contestant with a form POST
// and returns the Cookie header every benchmark request then carries; and a
// probe that one authenticated GET really reaches the back-end.
import { request } from 'undici';
import { BACKEND_BODY, BENCH_PATH, HEALTH_BODY, HEALTH_PATH } from './protocol.js';

/** POSTs the form, expects a 302 that sets cookie `name`, returns `name=value`. */
export async function formLogin(base: string, path: string, form: Record<string, string>, name: string): Promise<string> {
  const r = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = await r.body.text();
  if (r.statusCode !== 302) throw new Error(`login at ${path} answered ${r.statusCode}, not 302: ${body.slice(0, 200)}`);
  const raw = r.headers['set-cookie'];
  for (const c of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
    const pair = c.split(';')[0]!.trim();
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  throw new Error(`login at ${path} set no ${name} cookie`);
}

/** One GET of the benchmark path must come back 200 with the back-end's body. */
export async function probe(base: string, headers: Record<string, string>): Promise<void> {
  const r = await request(`${base}${BENCH_PATH}`, { headers });
  const body = await r.body.text();
  if (r.statusCode !== 200 || body !== BACKEND_BODY)
    throw new Error(`probe GET ${BENCH_PATH} answered ${r.statusCode}: ${body.slice(0, 200)}`);
}

/** The load balancer's health check, answered by the proxy itself (protocol.ts HEALTH_PATH). */
export async function health(base: string): Promise<void> {
  const r = await request(`${base}${HEALTH_PATH}`);
  const body = await r.body.text();
  if (r.statusCode !== 200 || body !== HEALTH_BODY) throw new Error(`health check ${HEALTH_PATH} answered ${r.statusCode}: ${body.slice(0, 200)}`);
}
