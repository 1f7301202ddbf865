// load.ts -- reads the config file (YAML or JSON), validates it against the
// schema and resolves relative paths against the file's folder. Every
// problem is reported at once, each naming its key.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { describeIssue } from './zod-util.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates an already-parsed object; throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, file = 'config', baseDir = process.cwd()): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  return resolvePaths(result.data, baseDir);
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `syntax: ${e.message.split('\n')[0]}`));
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
