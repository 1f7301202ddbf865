// Response pages: default templates, macro escaping, overrides and the
// template checks that run at load; and the stale-session reason sentences.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { Pages, PAGE_NAMES, TemplateError, type PageName } from '../lib/proxy/pages.js';
import { escapeHtml, safeUrl, MACRO_NAMES } from '../lib/proxy/page-macros.js';
import { reasonText } from '../lib/proxy/reason-text.js';
import { INVALID_REASONS } from '../lib/session/reasons.js';
import { InvalidArgumentError } from '../lib/session/errors.js';

const pages = Pages.load();

function withDir<T>(files: Record<string, string | Buffer>, fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-pages-'));
  try {
    for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The problems a template folder holding only `login.html` = body produces. */
function loginProblems(body: string): TemplateError {
  return withDir({ 'login.html': body }, (dir) => {
    const err = (() => { try { Pages.load(dir); } catch (e) { return e; } return undefined; })();
    if (!(err instanceof TemplateError)) throw new Error(`expected a TemplateError for ${JSON.stringify(body)}`);
    return err;
  });
}

/** The text content of the first element with this class (undefined when absent). */
function elementText(html: string, cls: string): string | undefined {
  const m = new RegExp(`<p class="${cls}"[^>]*>([^<]*)</p>`).exec(html);
  return m?.[1];
}

test('every default page loads, renders, and leaves no macro behind', (t) => {
  t.deepEqual(pages.warnings, []);
  for (const name of PAGE_NAMES) {
    const html = pages.render(name, {});
    t.true(html.startsWith('<!DOCTYPE html>'), name);
    t.regex(html, /<html lang="en">/, name);
    t.regex(html, /<meta charset="utf-8">/, name);
    t.regex(html, /<title>[^<]+<\/title>/, name);
    t.notRegex(html, /%[A-Z][A-Z0-9_]*(\{[^}]*\})?%/, `${name} still has a macro`);
    t.true(pages.source(name).endsWith(pages.fileName(name)), name);
  }
});

test('default pages are self-contained and need no script (strict CSP)', (t) => {
  for (const name of PAGE_NAMES) {
    const html = pages.render(name, {});
    t.notRegex(html, /<script/i, name);
    t.notRegex(html, /\son[a-z]+=/i, `${name} has an event handler attribute`);
    t.notRegex(html, /\s(src|href)="(https?:)?\/\//i, `${name} loads something from another origin`);
    t.notRegex(html, /@import|url\(/i, name);
    t.notRegex(html, /<link\b/i, name);
  }
});

test('file names follow the reference where it has one', (t) => {
  t.is(pages.fileName('login'), 'login.html');
  t.is(pages.fileName('logout'), 'logout.html');
  t.is(pages.fileName('too_many_sessions'), 'too_many_sessions.html');
  t.is(pages.fileName('login_denied_too_many'), '38b9a41f.html');
  t.throws(() => pages.fileName('nope' as PageName), { instanceOf: InvalidArgumentError });
  t.throws(() => pages.render('nope' as PageName, {}), { instanceOf: InvalidArgumentError });
});

test('login page posts username, password and login-form-type=pwd to /pkmslogin.form', (t) => {
  const html = pages.render('login', { URL: '/app/page?x=1&y=2' });
  const form = /<form method="post" action="\/pkmslogin\.form">([\s\S]*?)<\/form>/.exec(html);
  t.truthy(form, 'the login form');
  const body = form![1]!;
  t.regex(body, /<input type="hidden" name="login-form-type" value="pwd">/);
  t.regex(body, /<input type="text" id="username" name="username"[^>]*>/);
  t.regex(body, /<input type="password" id="password" name="password"[^>]*>/);
  t.regex(body, /<label for="username">/);
  t.regex(body, /<label for="password">/);
  t.regex(body, /<input type="hidden" name="url" value="\/app\/page\?x=1&amp;y=2">/);
});

test('an empty macro shows nothing: notices are empty elements that CSS hides', (t) => {
  const plain = pages.render('login', {});
  t.is(elementText(plain, 'notice'), '');
  t.is(elementText(plain, 'error'), '');
  t.regex(plain, /\.notice:empty/);
  t.regex(plain, /\.error:empty/);
  t.regex(plain, /data-oldsession=""/);

  const stale = pages.render('login', {
    OLDSESSION: '1', OLDSESSION_REASON: reasonText('terminated'), OLDSESSION_REASON_CODE: 'terminated', ERROR: 'Wrong password.',
  });
  t.is(elementText(stale, 'notice'), reasonText('terminated'));
  t.is(elementText(stale, 'error'), 'Wrong password.');
  t.regex(stale, /data-reason="terminated"/);
  t.regex(stale, /data-oldsession="1"/);
  t.regex(stale, /ended by an administrator/);
});

test('macro values are HTML-escaped everywhere (username <script>)', (t) => {
  const evil = '<script>alert("x")</script>';
  for (const name of PAGE_NAMES) {
    const html = pages.render(name, { USERNAME: evil, ERROR: evil, ERROR_TEXT: evil, OLDSESSION_REASON: evil, URL: evil });
    t.false(html.includes('<script>'), name);
    t.false(html.includes('alert("x")'), name);
  }
  t.true(pages.render('login_success', { USERNAME: evil }).includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  t.true(pages.render('login', { ERROR: evil }).includes('&lt;script&gt;'));
});

test('URL values are safe inside attributes and as links', (t) => {
  const quoted = pages.render('login', { URL: "/x\"onfocus=\"alert(1)'" });
  t.regex(quoted, /name="url" value="\/x&quot;onfocus=&quot;alert\(1\)&#39;"/);
  for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', '//evil.example/', '/\\evil.example', '/\t/evil.example', ' https://x.example/', 'vbscript:x']) {
    const html = pages.render('login_denied_too_many', { URL: url });
    t.regex(html, /href="\/">Try again/, url);
  }
  t.regex(pages.render('login_denied_too_many', { URL: 'https://app.example/a?b=1' }), /href="https:\/\/app\.example\/a\?b=1">/);
  t.regex(pages.render('login_denied_too_many', { URL: '/app/' }), /href="\/app\/">/);
});

test('too_many_sessions offers displacement and cancel, both as POST /pkmsdisplace', (t) => {
  const html = pages.render('too_many_sessions', { USERNAME: 'bob', URL: '/app' });
  t.true(html.includes('You are already logged in from another client. Do you want to terminate your existing login or cancel this new login request?'));
  t.regex(html, /<form method="post" action="\/pkmsdisplace"><button type="submit">Terminate existing login<\/button><\/form>/);
  t.regex(html, /<form method="post" action="\/pkmsdisplace\?cancel"><button type="submit" class="secondary">Cancel this new login<\/button><\/form>/);
  t.notRegex(html, /href="\/pkmsdisplace/, 'no link: a GET never answers the prompt');
});

test('error pages exist for 400, 403, 404, 502, 503, 504 and show their details', (t) => {
  const expect: Array<[PageName, RegExp]> = [
    ['bad_request', /Bad request/], ['forbidden', /Access denied/], ['not_found', /Page not found/],
    ['bad_gateway', /Bad gateway/], ['unavailable', /Service unavailable/], ['gateway_timeout', /Gateway timeout/],
  ];
  for (const [name, title] of expect) {
    const html = pages.render(name, { ERROR: 'E1', ERROR_TEXT: 'T1' });
    t.regex(html, title, name);
    t.is(elementText(html, 'error'), 'E1', name);
    t.true(html.includes('>T1<'), name);
  }
  t.true(pages.render('not_found', { URL: '/missing/page' }).includes('>/missing/page<'));
});

test('property: the markup does not depend on macro values', (t) => {
  const count = (s: string, c: string): number => s.split(c).length - 1;
  // Mostly HTML metacharacters, so a missing escape shows up within a few runs.
  const value = fc.oneof(fc.string({ unit: fc.constantFrom(...'<>"\'&`=/ a:é\u0000\t') }), fc.string({ unit: 'binary' }));
  fc.assert(fc.property(value, fc.constantFrom(...PAGE_NAMES), (value, name) => {
    const empty = pages.render(name, {});
    const filled = pages.render(name, { USERNAME: value, ERROR: value, URL: value, OLDSESSION_REASON: value, ERROR_TEXT: value, OLDSESSION_REASON_CODE: value });
    for (const c of ['<', '>', '"', "'"]) if (count(empty, c) !== count(filled, c)) return false;
    return true;
  }), { numRuns: 300 });
  t.pass();
});

test('escapeHtml and safeUrl', (t) => {
  t.is(escapeHtml(`<a href='x'>&"\``), '&lt;a href=&#39;x&#39;&gt;&amp;&quot;&#96;');
  t.is(escapeHtml('a\u0000b\u0007c\td\ne'), 'a\ufffdb\ufffdc\td\ne');
  t.is(safeUrl(''), '');
  t.is(safeUrl('/a/b?c#d'), '/a/b?c#d');
  t.is(safeUrl('http://h.example'), 'http://h.example');
  t.is(safeUrl('https:/h'), '/');
  t.is(safeUrl('relative/path'), '/');
  t.is(safeUrl('/a\nb'), '/');
});

test('an override folder replaces pages file by file', (t) => {
  const custom = '<!DOCTYPE html><title>Custom</title><p>Hello %USERNAME%, 100% custom, %% literal.</p><form action="%URL%"></form>';
  withDir({ 'login.html': custom, 'notes.txt': 'ignored', 'extra.html': '<p>unused</p>' }, (dir) => {
    const p = Pages.load(dir);
    t.is(p.render('login', { USERNAME: '<b>', URL: '/next' }), '<!DOCTYPE html><title>Custom</title><p>Hello &lt;b&gt;, 100% custom, % literal.</p><form action="/next"></form>');
    t.is(p.source('login'), path.join(dir, 'login.html'));
    t.is(p.source('logout'), pages.source('logout'));
    t.is(p.render('logout', {}), pages.render('logout', {}));
    t.is(p.warnings.length, 1);
    t.true(p.warnings[0]!.includes('extra.html'));
  });
});

test('the reference file name 38b9a41f.html overrides the login-denied page', (t) => {
  withDir({ '38b9a41f.html': '<p>Denied for %USERNAME%</p>' }, (dir) => {
    t.is(Pages.load(dir).render('login_denied_too_many', { USERNAME: 'bob' }), '<p>Denied for bob</p>');
  });
});

test('CREDATTR{name} and every known macro are accepted; missing values render empty', (t) => {
  const body = `<p>${MACRO_NAMES.map((m) => `%${m}%`).join('|')}|%CREDATTR{tagvalue_user_session_id}%</p>`;
  withDir({ 'login.html': body }, (dir) => {
    const p = Pages.load(dir);
    t.is(p.render('login', {}), `<p>${MACRO_NAMES.map(() => '').join('|')}|</p>`);
    t.is(p.render('login', { 'CREDATTR{tagvalue_user_session_id}': 'a&b' }), `<p>${MACRO_NAMES.map(() => '').join('|')}|a&amp;b</p>`);
  });
});

test('unknown and unterminated macros are reported with file, line and column', (t) => {
  const err = loginProblems('<p>line one</p>\n<p>%USERNAM% and %ERROR</p>\n');
  t.is(err.problems.length, 2);
  const [a, b] = err.problems;
  t.true(a!.file.endsWith('login.html'));
  t.is(a!.line, 2);
  t.is(a!.column, 4);
  t.regex(a!.message, /unknown macro %USERNAM%/);
  t.is(b!.line, 2);
  t.is(b!.column, 18);
  t.regex(b!.message, /unterminated macro/);
  t.regex(err.message, /login\.html:2:4: unknown macro/);
  t.is(err.code, 'ERR_GH_INVALID_ARGUMENT');
  t.true(err instanceof InvalidArgumentError);
});

test('macros where escaping cannot protect them are refused', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['<style>p{content:"%USERNAME%"}</style>', /inside <style>/],
    ['<script>var u = "%USERNAME%";</script>', /inside <script>/],
    ['<SCRIPT type="x">%ERROR%</SCRIPT>', /inside <script>/],
    ['<a onclick="go(\'%USERNAME%\')">x</a>', /onclick attribute/],
    ['<p style="color:%ERROR%">x</p>', /style attribute/],
    ['<input value=%USERNAME%>', /unquoted attribute value=/],
    ['<a href="%USERNAME%">x</a>', /URL attribute href/],
    ['<form action="/x?u=%ERROR%"></form>', /URL attribute action/],
    ['<p %USERNAME%>x</p>', /inside a tag/],
    ['<p>%CREDATTR{bad name}%</p>', /attribute name must be/],
    ['<p>%ERROR{x}%</p>', /only CREDATTR takes/],
  ];
  for (const [body, re] of cases) {
    const err = loginProblems(body);
    t.is(err.problems.length, 1, body);
    t.regex(err.problems[0]!.message, re, body);
  }
});

test('safe places for macros pass: text, quoted attributes, textarea/title, comments, after a style block', (t) => {
  const body = [
    '<title>%USERNAME%</title>',
    '<style>.a{width:100%}.b:before{content:"%%"}</style>',
    '<p title="%USERNAME%" data-x=\'%ERROR%\'>%ERROR%</p>',
    '<a href="%BACK_URL%">back</a><a href="/fixed">x</a>',
    '<textarea>%ERROR%</textarea>',
    '<!-- %USERNAME% -->',
    '<p>%2F and 50% off</p>',
  ].join('\n');
  withDir({ 'login.html': body }, (dir) => {
    const html = Pages.load(dir).render('login', { USERNAME: 'u', ERROR: 'e', BACK_URL: '/b' });
    t.true(html.includes('<title>u</title>'));
    t.true(html.includes('.b:before{content:"%"}'));
    t.true(html.includes('<p title="u" data-x=\'e\'>e</p>'));
    t.true(html.includes('<a href="/b">back</a>'));
    t.true(html.includes('<p>%2F and 50% off</p>'));
  });
});

test('every problem of every file is reported in one error', (t) => {
  withDir({ 'login.html': '<p>%NOPE%</p>', 'logout.html': '<script>%USERNAME%</script>', 'not_found.html': '<p>\n\n%ALSO_NOPE%' }, (dir) => {
    const err = t.throws(() => Pages.load(dir), { instanceOf: TemplateError });
    t.deepEqual(err!.problems.map((p) => path.basename(p.file)).sort(), ['login.html', 'logout.html', 'not_found.html']);
    t.is(err!.problems.find((p) => p.file.endsWith('not_found.html'))!.line, 3);
  });
});

test('unclosed constructs and unreadable files are reported', (t) => {
  t.regex(loginProblems('<style>p{}').problems[0]!.message, /<style> is never closed/);
  t.regex(loginProblems('<!-- open').problems[0]!.message, /comment/);
  withDir({ 'login.html': Buffer.from([0x3c, 0x70, 0x3e, 0xff, 0xfe]) }, (dir) => {
    const err = t.throws(() => Pages.load(dir), { instanceOf: TemplateError });
    t.regex(err!.message, /not valid UTF-8/);
  });
  const missing = path.join(os.tmpdir(), `gh-no-such-dir-${process.pid}-${Date.now()}`);
  const err = t.throws(() => Pages.load(missing), { instanceOf: TemplateError });
  t.regex(err!.message, /cannot read the template folder: ENOENT/);
});

test('a byte-order mark is dropped', (t) => {
  withDir({ 'login.html': '\ufeff<p>%USERNAME%</p>' }, (dir) => {
    t.is(Pages.load(dir).render('login', { USERNAME: 'x' }), '<p>x</p>');
  });
});

test('reason sentences: one per reason, the administrator ones say so', (t) => {
  t.regex(reasonText('terminated'), /ended by an administrator/);
  t.regex(reasonText('all_sessions_terminated'), /All your sessions were ended by an administrator/);
  t.regex(reasonText('signed_out_everywhere'), /Everyone was signed out/);
  t.regex(reasonText('expired'), /lifetime/);
  t.regex(reasonText('inactive'), /inactive/);
  t.regex(reasonText('displaced'), /logged in from another/);
  t.regex(reasonText('logged_out'), /You logged out/);
  t.regex(reasonText('evicted'), /session cache was full/);
  t.is(reasonText('unknown'), '');
  const texts = INVALID_REASONS.filter((r) => r !== 'unknown').map(reasonText);
  t.is(new Set(texts).size, texts.length);
  for (const s of texts) t.true(s.length > 0 && escapeHtml(s) === s.replace(/'/g, '&#39;'));
  t.is(reasonText('__proto__' as never), '');
});
