// browser.test.ts -- the user's view in a real browser (Debian's Chromium
// driven by playwright-core): log in through the real login page, use a page
// behind a junction, have an administrator terminate all the user's sessions
// and see the login page say why on the next click. Also a logout through
// /pkmslogout and a displacement by a second browser. Chromium missing is a
// failure, not a skip (see helpers/chromium.ts).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SessionCache, TaskEngine, tasks } from '../lib/index.js';
import { launchChromium } from './helpers/chromium.js';
import { startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

const PW = 'correct horse battery';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));  // dist/test/ -> repository root
const RESULTS = path.join(ROOT, 'test-results');
const DOCS_SHOT = path.join(ROOT, 'docs', 'screenshots', 'login-after-termination.png');

// ---------------------------------------------------------------- the back-end

interface Seen { url: string; ivUser: string | undefined }

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A tiny HTML application: shows the iv-user it received and links to a next page and to logout. */
async function startHtmlApp(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const ivUser = req.headers['iv-user'];
    const user = Array.isArray(ivUser) ? ivUser.join(',') : ivUser;
    seen.push({ url: req.url ?? '', ivUser: user });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>App</title></head><body>
<h1>Hello, <span id="iv-user">${escapeHtml(user ?? '')}</span></h1>
<p>Back-end path: <code id="path">${escapeHtml(req.url ?? '')}</code></p>
<p><a id="next" href="/app/next">Next page</a> <a id="logout" href="/pkmslogout">Log out</a></p>
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

// ---------------------------------------------------------------- set-up

let app: Awaited<ReturnType<typeof startHtmlApp>> | undefined;
let gh: RunningGatehouse | undefined;
let cache: SessionCache | undefined;
let engine: TaskEngine;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

test.before(async () => {
  browser = await launchChromium();  // first: without a browser nothing else is worth starting
  app = await startHtmlApp();
  gh = await startGatehouse({
    users: [
      { id: 'alice', password: PW, groups: ['staff'] },
      { id: 'bob', password: PW, groups: ['staff'] },
      { id: 'dave', password: PW, groups: ['staff'], maxConcurrentWebSessions: 'displace' },
    ],
    config: {
      session: { 'prompt-for-displacement': 'yes' },
      admin: { enabled: 'no' },
      junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
    },
  });
  cache = SessionCache.open(gh.tableName);
  engine = new TaskEngine(cache, { serverName: `default-webseald-it${process.pid}`, sessionServerName: gh.serverName });
});

test.after.always(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  cache?.close();
  await gh?.stop();
  await app?.close();
});

/** A fresh browser profile (its own cookie jar): one per simulated person/device. */
async function newPage(): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 640, height: 560 } });
  context.setDefaultTimeout(10_000);
  contexts.push(context);
  return context.newPage();
}

const pathOf = (page: Page): string => new URL(page.url()).pathname;

/** Types the credentials into the login page shown and submits it, waiting for the next page. */
async function submitLogin(page: Page, user: string): Promise<void> {
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(PW);
  await Promise.all([page.waitForNavigation(), page.locator('button[type=submit]').click()]);
}

/** Clicks a link on the back-end's page and waits for whatever page comes back. */
async function clickLink(page: Page, id: 'next' | 'logout'): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.locator(`#${id}`).click()]);
}

// ---------------------------------------------------------------- tests

test.serial('login page, junction page, terminate all_sessions, next click shows "ended by an administrator"', async (t) => {
  const page = await newPage();
  await page.goto(`${gh!.http}/app/`);

  // The real login page, with its fields visible and no notice or error yet.
  t.true(await page.locator('form[action="/pkmslogin.form"]').isVisible());
  t.true(await page.locator('#username').isVisible());
  t.true(await page.locator('#password').isVisible());
  t.is(await page.locator('#password').getAttribute('type'), 'password');
  t.true(await page.locator('button[type=submit]').isVisible());
  t.false(await page.locator('.notice').isVisible());
  t.false(await page.locator('.error').isVisible());
  const before = app!.seen.length;

  await submitLogin(page, 'alice');
  t.is(pathOf(page), '/app/');
  t.is(await page.locator('#iv-user').textContent(), 'alice');
  t.deepEqual(app!.seen.slice(before), [{ url: '/', ivUser: 'alice' }]);

  const r = engine.run(tasks.terminateAllSessions('alice'));
  t.true(r.ok, JSON.stringify(r.messages));

  const seenBefore = app!.seen.length;
  await clickLink(page, 'next');
  t.is(app!.seen.length, seenBefore, 'the back-end must not see a request from a terminated session');
  t.is(pathOf(page), '/app/next');
  const notice = page.locator('.notice');
  t.true(await notice.isVisible());
  t.regex((await notice.textContent()) ?? '', /ended by an administrator/);
  t.is(await notice.getAttribute('data-reason'), 'all_sessions_terminated');
  t.false(await page.locator('.error').isVisible());
  t.true(await page.locator('#username').isVisible());
  t.is(await page.locator('body').getAttribute('data-oldsession'), '1');

  fs.mkdirSync(RESULTS, { recursive: true });
  const shot = path.join(RESULTS, 'browser-terminated.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.true(fs.statSync(shot).size > 0);
  if (process.env['GATEHOUSE_UPDATE_SCREENSHOTS'] === '1') {
    fs.mkdirSync(path.dirname(DOCS_SHOT), { recursive: true });
    fs.copyFileSync(shot, DOCS_SHOT);
  }

  // Logging in again from that page goes back to the page the click asked for.
  await submitLogin(page, 'alice');
  t.is(pathOf(page), '/app/next');
  t.is(await page.locator('#iv-user').textContent(), 'alice');
  t.is(await page.locator('#path').textContent(), '/next');
});

test.serial('logout through /pkmslogout shows the logout page; the next request says "You logged out"', async (t) => {
  const page = await newPage();
  await page.goto(`${gh!.http}/app/`);
  await submitLogin(page, 'bob');
  t.is(await page.locator('#iv-user').textContent(), 'bob');

  await clickLink(page, 'logout');
  t.is(pathOf(page), '/pkmslogout');
  t.regex((await page.locator('h1').textContent()) ?? '', /logged out/i);
  t.true(await page.locator('a.button').isVisible());

  // The browser still holds the old cookie (logout-remove-cookie is off), so
  // the login page can say why the session ended.
  const seenBefore = app!.seen.length;
  await page.goto(`${gh!.http}/app/next`);
  t.is(app!.seen.length, seenBefore);
  const notice = page.locator('.notice');
  t.true(await notice.isVisible());
  t.is(await notice.getAttribute('data-reason'), 'logged_out');
  t.regex((await notice.textContent()) ?? '', /You logged out/);
  t.false(await page.locator('.error').isVisible());
});

test.serial('a second browser displaces the first; the first one\'s next click says why', async (t) => {
  const first = await newPage();
  await first.goto(`${gh!.http}/app/`);
  await submitLogin(first, 'dave');
  t.is(await first.locator('#iv-user').textContent(), 'dave');

  // Another device: the same user gets the displacement prompt and confirms it.
  const second = await newPage();
  await second.goto(`${gh!.http}/app/`);
  await submitLogin(second, 'dave');
  const terminate = second.locator('form[action="/pkmsdisplace"] button');
  t.true(await terminate.isVisible());
  t.regex((await second.locator('main').textContent()) ?? '', /already logged in from another client/);
  await Promise.all([second.waitForNavigation(), terminate.click()]);
  t.is(pathOf(second), '/app/');
  t.is(await second.locator('#iv-user').textContent(), 'dave');

  await clickLink(first, 'next');
  t.is(pathOf(first), '/app/next');
  const notice = first.locator('.notice');
  t.true(await notice.isVisible());
  t.is(await notice.getAttribute('data-reason'), 'displaced');
  t.regex((await notice.textContent()) ?? '', /logged in from another browser or device/);
  t.false(await first.locator('.error').isVisible());

  // The second browser is still logged in.
  await clickLink(second, 'next');
  t.is(await second.locator('#iv-user').textContent(), 'dave');
});
