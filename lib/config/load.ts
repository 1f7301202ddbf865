// load.ts -- reads the config file (YAML or JSON), validates it against the
// schema and resolves relative paths against the file's folder. Every
// problem is reported at once, each naming its key; a YAML syntax error
// shows the line with a caret; a file that is not a Gatehouse config at all
// (binary, a list, someone else's YAML) is refused in one line.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { keysAllowedAt, nearestKey } from './suggest.js';
import { describeIssue, keyPath } from './zod-util.js';

const NOT_A_CONFIG = 'not a Gatehouse config: expected a mapping with junctions and registry (docs/proxy.md)';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    // A problem may span lines (a code frame): indent them under its dash.
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p.replace(/\n/g, '\n    ')}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** One line per problem; an unknown key says which known key it is nearest to. */
function describe(issue: Parameters<typeof describeIssue>[0]): string[] {
  if (issue.code === 'invalid_union') {
    // `tls: {cert, kee}`: of the forms a value may take, the one of the right type (a mapping
    // here) says what is wrong inside it, e.g. the unknown key and the missing one.
    const rightType = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
    if (rightType.length === 1) return rightType[0]!.flatMap((i) => describe({ ...i, path: [...issue.path, ...i.path] }));
  }
  if (issue.code !== 'unrecognized_keys') return [describeIssue(issue)];
  const allowed = keysAllowedAt(configSchema, issue.path);
  return issue.keys.map((key) => {
    const near = nearestKey(key, allowed);
    return `${keyPath(issue.path)}: unknown key '${key}'${near === undefined ? '' : `; did you mean '${near}'?`}`;
  });
}

/** A value that is no config at all: one line instead of a problem per missing or unknown key. */
function notAConfig(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;   // an empty file: say what is required
  if (typeof raw !== 'object') return `${NOT_A_CONFIG}, found ${typeof raw === 'string' ? 'plain text' : `a ${typeof raw}`}`;
  if (Array.isArray(raw)) return `${NOT_A_CONFIG}, found a list`;
  const keys = Object.keys(raw);
  const known = keysAllowedAt(configSchema, []);
  // No section by its name, and most keys not even near one (package.json's `version` is near `session`).
  const near = keys.filter((k) => nearestKey(k, known) !== undefined).length;
  if (keys.length > 0 && !keys.some((k) => known.includes(k)) && near * 2 < keys.length) {
    const shown = keys.slice(0, 4).map((k) => `'${k}'`).join(', ') + (keys.length > 4 ? `, ... (${keys.length} keys)` : '');
    return `${NOT_A_CONFIG}; none of its keys (${shown}) is a Gatehouse section`;
  }
  return undefined;
}

/** Validates an already-parsed object; throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, file = 'config', baseDir = process.cwd()): Config {
  const foreign = notAConfig(raw);
  if (foreign !== undefined) throw new ConfigError(file, [foreign]);
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(file, result.error.issues.flatMap(describe));
  return resolvePaths(result.data, baseDir);
}

/** `syntax: <what> (line L, column C)` and the lines around it with a caret under the column. */
function codeFrame(text: string, error: YAML.YAMLError): string {
  const what = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = error.linePos?.[0];
  if (pos === undefined) return `syntax: ${what}`;
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, pos.line - 2);
  const width = String(pos.line).length;
  const frame: string[] = [];
  for (let n = first; n <= Math.min(pos.line, lines.length); n++)
    frame.push(`${n === pos.line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]!.slice(0, 160)}`);
  frame.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, pos.col - 1))}^`);
  return `syntax: ${what} (line ${pos.line}, column ${pos.col})\n${frame.join('\n')}`;
}

/** Binary content (a NUL byte, or bytes that are not UTF-8) is no YAML or JSON file. */
function looksBinary(bytes: Buffer): boolean {
  if (bytes.subarray(0, 8192).includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

export function loadConfig(file: string): Config {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  if (looksBinary(bytes)) throw new ConfigError(file, [`${NOT_A_CONFIG}, found a binary file`]);
  const text = bytes.toString('utf8');
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first error with its line; the rest are mostly its echoes (a README has dozens).
    const more = new Set(doc.errors.map((e) => e.message)).size - 1;
    throw new ConfigError(file, [codeFrame(text, doc.errors[0]!) + (more > 0 ? `\n(and ${more} more syntax error${more > 1 ? 's' : ''} after it)` : '')]);
  }
  return parseConfig(doc.toJS(), file, path.dirname(path.resolve(file)));
}

function resolvePaths(c: Config, base: string): Config {
  const abs = (p: string): string => path.resolve(base, p);
  const opt = (p: string | undefined): string | undefined => (p === undefined ? undefined : abs(p));
  const stateDir = abs(c.server['state-dir']);
  return {
    ...c,
    server: { ...c.server, 'state-dir': stateDir, 'table-name': c.server['table-name'] ?? `gatehouse-${c.server['server-name']}` },
    listen: { ...c.listen, https: c.listen.https === false ? false : { ...c.listen.https, cert: abs(c.listen.https.cert), key: abs(c.listen.https.key) } },
    'acnt-mgt': { ...c['acnt-mgt'], templates: opt(c['acnt-mgt'].templates) },
    junctions: Object.fromEntries(Object.entries(c.junctions).map(([k, j]) => [k, { ...j, 'ca-file': opt(j['ca-file']) }])),
    registry: { file: abs(c.registry.file) },
    logging: { ...c.logging, 'requests-file': opt(c.logging['requests-file']) },
    admin: {
      ...c.admin,
      tls: typeof c.admin.tls === 'object' ? { cert: abs(c.admin.tls.cert), key: abs(c.admin.tls.key) } : c.admin.tls,
      policy: opt(c.admin.policy),
      tokens: c.admin.tokens === undefined ? path.join(stateDir, 'tokens.yaml') : abs(c.admin.tokens),
      audit: c.admin.audit === undefined ? path.join(stateDir, 'audit.log') : abs(c.admin.audit),
      'client-certificates': c.admin['client-certificates'] === undefined ? undefined
        : { ...c.admin['client-certificates'], ca: abs(c.admin['client-certificates'].ca) },
    },
  };
}
