// page-macros.ts -- the %MACRO% language of the response-page templates:
// which macro names exist, how a template is checked and compiled once at
// load, and how values are made safe when a page is rendered.
//
// Syntax (the reference's, plus an escape):
//   %NAME%          a macro; NAME is upper case letters, digits and _
//   %CREDATTR{a}%   a credential attribute (the caller supplies it under that full name)
//   %%              a literal %
//   % followed by anything but an upper-case letter or % is a literal % (so CSS
//   `100%` and URLs like `%2F` need no escaping).
// Every macro value is HTML-escaped. Because escaping does not make a value
// safe inside CSS, script or an event handler, and does not stop a
// `javascript:` link, the compiler rejects macros in those places and only
// lets URL macros (whose values are checked) into URL attributes.

/** Macros a page may use. Names from the reference's response-page macros, plus OLDSESSION_REASON(_CODE). */
export const MACRO_NAMES = [
  'USERNAME', 'ERROR', 'URL', 'OLDSESSION', 'OLDSESSION_REASON', 'OLDSESSION_REASON_CODE',
  'BACK_URL', 'BACK_NAME', 'HOSTNAME', 'ERROR_CODE', 'ERROR_TEXT',
  'AUTH_URL', 'AUTHNLEVEL', 'BASICAUTHN', 'TAM_OP',
] as const;
export type MacroName = (typeof MACRO_NAMES)[number];

/** Macros whose value is a URL: checked (same-site path or http(s) URL) before use. */
export const URL_MACROS: ReadonlySet<string> = new Set(['URL', 'BACK_URL', 'AUTH_URL']);

/** Values for the macros of a page; a missing value renders as ''. */
export interface PageMacros {
  USERNAME?: string;
  ERROR?: string;
  URL?: string;
  /** '1' when the request carried a session cookie that no longer works (the reference's OLDSESSION). */
  OLDSESSION?: '' | '1';
  /** A sentence saying why the old session ended (reasonText()); '' when there is nothing to say. */
  OLDSESSION_REASON?: string;
  /** The machine value: terminated, all_sessions_terminated, ... (an InvalidReason). */
  OLDSESSION_REASON_CODE?: string;
  BACK_URL?: string;
  HOSTNAME?: string;
  ERROR_CODE?: string;
  ERROR_TEXT?: string;
  [name: string]: string | undefined;
}

const KNOWN: ReadonlySet<string> = new Set(MACRO_NAMES);
const MAX_NAME = 64;
const ATTR_ARG = /^[A-Za-z0-9_.:-]{1,128}$/;

/** One macro occurrence in a compiled template. */
export interface MacroRef {
  readonly name: string;
  readonly url: boolean;
}
/** Literal text and macro references, in order. */
export type CompiledTemplate = ReadonlyArray<string | MacroRef>;

/** A problem found in a template; line and column are 1-based. */
export interface TemplateProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;',
};

/**
 * HTML-escapes a value for text or a quoted attribute. C0 controls other than
 * tab/LF/CR (which HTML forbids) become U+FFFD rather than vanish silently.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => HTML_ESCAPES[c] ?? '\ufffd');
}

/**
 * A URL macro value that is safe as a link: a path on this site (`/x`, not
 * `//host`) or an absolute http(s) URL, with no whitespace or controls
 * (browsers drop tabs and newlines inside URLs, which could turn `/\t/evil`
 * into `//evil`). Anything else becomes `/`; '' stays ''.
 */
export function safeUrl(value: string): string {
  if (value === '') return '';
  if (/[\x00-\x20\x7f]/.test(value)) return '/';
  if (/^\/(?![/\\])/.test(value) || /^https?:\/\/[^/\\]/i.test(value)) return value;
  return '/';
}

/** The HTML-safe text for one macro occurrence. */
export function macroValue(ref: MacroRef, value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : String(value);
  return escapeHtml(ref.url ? safeUrl(s) : s);
}

// Attributes whose value is a URL (a macro there could be a javascript: link).
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'background', 'poster', 'cite', 'data',
  'srcset', 'ping', 'manifest', 'xlink:href', 'codebase', 'longdesc', 'usemap', 'icon']);
// Elements whose content is not HTML: escaping does not protect a value there.
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext']);
const ESCAPABLE_RAW = new Set(['textarea', 'title']); // entities work there, so macros are fine

type Where =
  | { readonly kind: 'text' }
  | { readonly kind: 'raw'; readonly element: string }
  | { readonly kind: 'comment' }
  /** Inside a start tag; `raw` names a script/style-like element whose content follows. */
  | { readonly kind: 'tag'; readonly raw: string | undefined }
  | { readonly kind: 'attr'; readonly name: string; readonly quote: '"' | "'" | ''; readonly raw: string | undefined };

const TEXT: Where = { kind: 'text' };

/**
 * Checks and compiles one template. Problems are collected (not thrown) so
 * a page author sees every mistake of every file in one error.
 */
export function compileTemplate(source: string, file: string, problems: TemplateProblem[]): CompiledTemplate {
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const report = (at: number, message: string): void => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= at) lo = mid; else hi = mid - 1;
    }
    problems.push({ file, line: lo + 1, column: at - (lineStarts[lo] ?? 0) + 1, message });
  };

  const parts: Array<string | MacroRef> = [];
  let literal = '';
  let where: Where = TEXT;
  let i = 0;
  const n = source.length;

  while (i < n) {
    const c = source[i]!;
    if (c === '%') {
      const next = source[i + 1];
      if (next === '%') { literal += '%'; i += 2; continue; }
      if (next === undefined || !/[A-Z]/.test(next)) { literal += '%'; i += 1; continue; }
      const m = /^[A-Z][A-Z0-9_]*(\{[^%{}\n]*\})?/.exec(source.slice(i + 1, i + 2 + MAX_NAME + 130))!;
      const token = m[0];
      const close = i + 1 + token.length;
      if (source[close] !== '%') {
        report(i, `unterminated macro %${token.slice(0, MAX_NAME)}... (a macro is %NAME%; write %% for a literal %)`);
        literal += '%';
        i += 1;
        continue;
      }
      const ref = checkMacro(token, where, (msg) => report(i, msg));
      if (ref !== undefined) {
        if (literal !== '') parts.push(literal);
        literal = '';
        parts.push(ref);
      }
      i = close + 1;
      continue;
    }
    // Not a macro: advance the little HTML scanner that tells where we are.
    const step = scan(source, i, where);
    literal += source.slice(i, step.end);
    where = step.where;
    i = step.end;
  }
  if (literal !== '') parts.push(literal);
  if (where.kind === 'raw') report(n, `<${where.element}> is never closed`);
  if (where.kind === 'comment') report(n, 'comment (<!--) is never closed');
  if (where.kind === 'tag' || where.kind === 'attr') report(n, 'the last tag is never closed (missing >)');
  return Object.freeze(parts);
}

function checkMacro(token: string, where: Where, report: (msg: string) => void): MacroRef | undefined {
  const brace = token.indexOf('{');
  const base = brace < 0 ? token : token.slice(0, brace);
  if (brace >= 0) {
    const arg = token.slice(brace + 1, -1);
    if (base !== 'CREDATTR') { report(`%${token}%: only CREDATTR takes a {name} argument`); return undefined; }
    if (!ATTR_ARG.test(arg)) { report(`%${token}%: the attribute name must be 1-128 of A-Z a-z 0-9 _ . : -`); return undefined; }
  } else if (!KNOWN.has(base)) {
    report(`unknown macro %${token.slice(0, MAX_NAME)}% (known: ${MACRO_NAMES.join(', ')}, CREDATTR{name}; write %% for a literal %)`);
    return undefined;
  }
  const url = URL_MACROS.has(token);
  switch (where.kind) {
    case 'raw':
      if (ESCAPABLE_RAW.has(where.element)) break;
      report(`%${token}% inside <${where.element}>: HTML escaping does not protect a value there`);
      return undefined;
    case 'comment':
      break;
    case 'tag':
      report(`%${token}% inside a tag but outside a quoted attribute value`);
      return undefined;
    case 'attr': {
      const name = where.name;
      if (where.quote === '') { report(`%${token}% in the unquoted attribute ${name}=: quote the value`); return undefined; }
      if (name.startsWith('on') || name === 'style') {
        report(`%${token}% in the ${name} attribute: HTML escaping does not protect script or CSS`);
        return undefined;
      }
      if (URL_ATTRS.has(name) && !url) {
        report(`%${token}% in the URL attribute ${name}: only ${[...URL_MACROS].join(', ')} may appear there`);
        return undefined;
      }
      break;
    }
    case 'text':
      break;
  }
  return Object.freeze({ name: token, url });
}

/** Index of the first match of `re` (global) at or after `from`, or -1. */
function find(re: RegExp, s: string, from: number): number {
  re.lastIndex = from;
  const m = re.exec(s);
  return m === null ? -1 : m.index;
}

const TEXT_STOP = /[<%]/g;
const COMMENT_STOP = /-->|%/g;
const QUOTE_STOP: Readonly<Record<'"' | "'", RegExp>> = { '"': /["%]/g, "'": /['%]/g };
const rawStops = new Map<string, RegExp>();
function rawStop(element: string): RegExp {
  let re = rawStops.get(element);
  if (re === undefined) rawStops.set(element, re = new RegExp(`</${element}|%`, 'gi'));
  return re;
}

/**
 * One step of a deliberately small HTML tokenizer: enough to know whether
 * the next character is text, inside a comment, inside script/style, inside
 * a tag, or inside which attribute's value. Always consumes at least one
 * character unless it only changes state, stops before any `%`, and looks
 * ahead with sticky searches so a whole template is scanned in linear time.
 */
function scan(s: string, i: number, where: Where): { end: number; where: Where } {
  switch (where.kind) {
    case 'text': {
      const stop = find(TEXT_STOP, s, i);
      if (stop < 0) return { end: s.length, where };
      if (stop > i || s[stop] === '%') return { end: stop, where };
      if (s.startsWith('<!--', i)) return { end: i + 4, where: { kind: 'comment' } };
      const tag = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)/.exec(s.slice(i, i + 64));
      if (tag === null) return { end: i + 1, where }; // a lone '<', <!DOCTYPE, <?...: text
      const name = tag[2]!.toLowerCase();
      const raw = tag[1] === '' && RAW_TEXT.has(name) ? name : undefined;
      return { end: i + tag[0].length, where: { kind: 'tag', raw } };
    }
    case 'comment': {
      const stop = find(COMMENT_STOP, s, i);
      if (stop < 0) return { end: s.length, where };
      if (s[stop] === '%') return { end: stop, where };
      return { end: stop + 3, where: TEXT };
    }
    case 'raw': {
      const stop = find(rawStop(where.element), s, i);
      if (stop < 0) return { end: s.length, where };
      if (s[stop] === '%') return { end: stop, where };
      return { end: stop, where: TEXT }; // the closing tag is scanned as a tag
    }
    case 'tag': {
      const c = s[i]!;
      if (c === '>') return { end: i + 1, where: where.raw !== undefined ? { kind: 'raw', element: where.raw } : TEXT };
      if (/[\s/]/.test(c)) return { end: i + 1, where };
      const attr = /^([^\s"'>/=%]+)\s*(=\s*(["']?))?/.exec(s.slice(i, i + 256));
      if (attr === null) return { end: i + 1, where }; // a stray quote or '='
      if (attr[2] === undefined) return { end: i + attr[0].length, where };
      const quote = (attr[3] ?? '') as '"' | "'" | '';
      return { end: i + attr[0].length, where: { kind: 'attr', name: attr[1]!.toLowerCase(), quote, raw: where.raw } };
    }
    case 'attr': {
      const back: Where = { kind: 'tag', raw: where.raw };
      if (where.quote === '') {
        const m = /^[^\s>%]*/.exec(s.slice(i, i + 4096))![0];
        // Whitespace or '>' ends the value; the tag state consumes it next.
        return m.length > 0 ? { end: i + m.length, where } : { end: i, where: back };
      }
      const stop = find(QUOTE_STOP[where.quote], s, i);
      if (stop < 0) return { end: s.length, where };
      if (s[stop] === '%') return { end: stop, where };
      return { end: stop + 1, where: back };
    }
  }
}
