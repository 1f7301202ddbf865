// throttle-page.ts -- the answer to a login refused by the failed-login
// limits (login-throttle.ts): 429 with Retry-After and the replaceable
// too_many_attempts page. The same for every user name, known or not.
import type { ServerResponse } from 'node:http';
import { sendHtml } from './http-util.js';
import type { Pages } from './pages.js';

export function sendTooManyAttempts(res: ServerResponse, pages: Pages, url: string, retryAfterSeconds: number): void {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  const when = retryAfterSeconds < 60 ? `${retryAfterSeconds} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  sendHtml(res, 429, pages.render('too_many_attempts', { URL: url, ERROR: `Try again in ${when}.` }), {
    'retry-after': String(retryAfterSeconds),
  });
}
