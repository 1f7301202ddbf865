// pages.ts -- the HTML response pages the proxy serves itself (login, logout,
// the displacement prompt, error pages), made from templates with %MACRO%
// substitution as the reference product makes them. The defaults live in
// <package>/templates; an administrator's folder replaces them file by file.
// Every template is checked and compiled at load, so a broken page stops
// the server from starting instead of showing up in front of a user.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../session/errors.js';
import { compileTemplate, macroValue, type CompiledTemplate, type PageMacros, type TemplateProblem } from './page-macros.js';

export type { PageMacros, TemplateProblem } from './page-macros.js';

export const PAGE_NAMES = [
  'login', 'logout', 'too_many_sessions', 'login_denied_too_many', 'login_success',
  'bad_gateway', 'unavailable', 'gateway_timeout', 'bad_request', 'not_found', 'forbidden',
  'too_many_attempts', 'session_unavailable',
] as const;
export type PageName = (typeof PAGE_NAMES)[number];

// File names: the reference's where it has one (38b9a41f.html is its
// "Additional Login Denied" page), the page name otherwise.
const FILE_NAMES: Readonly<Record<PageName, string>> = Object.freeze({
  login: 'login.html',
  logout: 'logout.html',
  too_many_sessions: 'too_many_sessions.html',
  login_denied_too_many: '38b9a41f.html',
  login_success: 'login_success.html',
  bad_gateway: 'bad_gateway.html',
  unavailable: 'unavailable.html',
  gateway_timeout: 'gateway_timeout.html',
  bad_request: 'bad_request.html',
  not_found: 'not_found.html',
  forbidden: 'forbidden.html',
  too_many_attempts: 'too_many_attempts.html',
  session_unavailable: 'session_unavailable.html',
});

/** Larger than any sensible page; keeps a wrong path (a log file, say) from being loaded. */
export const MAX_TEMPLATE_BYTES = 1 << 20;

/** Templates that cannot be used; `problems` lists each with file, line and column. */
export class TemplateError extends InvalidArgumentError {
  readonly problems: readonly TemplateProblem[];
  constructor(problems: readonly TemplateProblem[]) {
    const lines = problems.slice(0, 50).map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message}`);
    if (problems.length > 50) lines.push(`  ... and ${problems.length - 50} more`);
    super(`response page templates: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.problems = Object.freeze([...problems]);
  }
}

/** The folder holding the default templates, found from this module's location. */
export function defaultTemplateDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/lib/proxy/pages.js -> <root>/templates; lib/proxy/pages.ts (run from source) -> <root>/templates.
  const candidates = [path.resolve(here, '../../../templates'), path.resolve(here, '../../templates')];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, FILE_NAMES.login))) return dir;
  throw new InvalidArgumentError(`the default page templates are missing (looked in ${candidates.join(' and ')})`);
}

interface LoadedPage {
  readonly file: string;
  readonly template: CompiledTemplate;
}

export class Pages {
  readonly #pages: ReadonlyMap<PageName, LoadedPage>;
  /** Harmless oddities found at load (e.g. an .html file in the override folder that is no page). */
  readonly warnings: readonly string[];

  private constructor(pages: ReadonlyMap<PageName, LoadedPage>, warnings: readonly string[]) {
    this.#pages = pages;
    this.warnings = Object.freeze([...warnings]);
  }

  /**
   * Loads the defaults from <package>/templates, overridden file by file by
   * `dir` (e.g. a login.html there replaces the default login page). Every
   * template is validated: unknown or unterminated macros, and macros where
   * HTML escaping cannot protect them, are reported together in one
   * TemplateError naming file, line and column.
   */
  static load(dir?: string): Pages {
    const problems: TemplateProblem[] = [];
    const warnings: string[] = [];
    const defaults = defaultTemplateDir();
    const overrides = dir === undefined ? new Set<string>() : listOverrides(dir, problems, warnings);
    const pages = new Map<PageName, LoadedPage>();
    for (const name of PAGE_NAMES) {
      const fileName = FILE_NAMES[name];
      const file = overrides.has(fileName) ? path.join(dir!, fileName) : path.join(defaults, fileName);
      const source = readTemplate(file, problems);
      if (source === undefined) continue;
      pages.set(name, { file, template: compileTemplate(source, file, problems) });
    }
    if (problems.length > 0) throw new TemplateError(problems);
    return new Pages(pages, warnings);
  }

  /**
   * The page with its macros filled in. Every value is HTML-escaped (quotes
   * too, so values are safe in quoted attributes); URL macros (URL, BACK_URL,
   * AUTH_URL) must be a path on this site or an http(s) URL, else they become
   * `/`. A macro the template uses but `macros` lacks renders as ''. Unknown
   * names cannot reach this point: load() rejects them.
   */
  render(name: PageName, macros: Readonly<PageMacros> = {}): string {
    const page = this.#page(name);
    let out = '';
    for (const part of page.template) {
      out += typeof part === 'string' ? part : macroValue(part, Object.hasOwn(macros, part.name) ? macros[part.name] : undefined);
    }
    return out;
  }

  /** The template's file name, as an override folder must spell it (e.g. 38b9a41f.html). */
  fileName(name: PageName): string {
    if (!Object.hasOwn(FILE_NAMES, name)) throw new InvalidArgumentError(`unknown page ${JSON.stringify(name)}`);
    return FILE_NAMES[name];
  }

  /** The file a page was loaded from (for logs: default or override). */
  source(name: PageName): string {
    return this.#page(name).file;
  }

  #page(name: PageName): LoadedPage {
    const page = this.#pages.get(name);
    if (page === undefined) throw new InvalidArgumentError(`unknown page ${JSON.stringify(name)} (pages: ${PAGE_NAMES.join(', ')})`);
    return page;
  }
}

/** The page files present in an override folder. */
function listOverrides(dir: string, problems: TemplateProblem[], warnings: string[]): Set<string> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    problems.push({ file: dir, line: 0, column: 0, message: `cannot read the template folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return new Set();
  }
  const known = new Set(Object.values(FILE_NAMES));
  const found = new Set<string>();
  for (const e of entries) {
    if (known.has(e.name)) found.add(e.name);
    else if (e.name.toLowerCase().endsWith('.html'))
      warnings.push(`${path.join(dir, e.name)} is not a page this server uses (pages: ${[...known].join(', ')})`);
  }
  return found;
}

function readTemplate(file: string, problems: TemplateProblem[]): string | undefined {
  const fail = (message: string): undefined => { problems.push({ file, line: 0, column: 0, message }); return undefined; };
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return fail('not a regular file');
    if (st.size > MAX_TEMPLATE_BYTES) return fail(`larger than ${MAX_TEMPLATE_BYTES} bytes`);
    bytes = fs.readFileSync(file);
  } catch (err) {
    return fail(`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('not valid UTF-8');
  }
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}
