// user.ts -- `gatehouse user ...`: manage the file registry in the style of
// pdadmin's `user` commands. Exit codes: 0 done, 1 refused (no such user,
// already exists, unreadable or locked registry), 2 bad usage or bad input.
// Every change is a locked read-modify-write of the file (see registry/).
import { parseArgs } from 'node:util';
import { checkLoginId } from '../session/checks.js';
import { GatehouseError, InvalidArgumentError } from '../session/errors.js';
import {
  ATTRIBUTE_NAME, FileRegistry, RegistryError, checkNewUser, checkPassword, validatePolicy,
  type ScryptParams, type UserDetails,
} from '../registry/index.js';

export const USER_USAGE = `usage: gatehouse user <command> --registry <file>   (or GATEHOUSE_REGISTRY=<file>)

  user create <id> [--dn <dn>] [--groups a,b] [--password-stdin | --password <pw>] [--description <text>]
  user modify <id> account-valid yes|no
  user modify <id> password [--password-stdin | <pw>]
  user modify <id> groups add|remove <group>
  user modify <id> max-concurrent-web-sessions unset|unlimited|displace|<N>
  user modify <id> attribute <name> <value>
  user modify <id> attribute-remove <name>
  user modify <id> description <text>          ("" removes it)
  user modify <id> dn <dn>
  user delete <id>
  user list [<pattern>] [--max N] [--json]      (* is the wildcard, case-insensitive)
  user show <id> [--json]

A password given on the command line is visible to other local users (ps);
prefer --password-stdin.
`;

export interface UserCommandIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Read only for --password-stdin. */
  stdin: AsyncIterable<string | Buffer>;
  /** For GATEHOUSE_REGISTRY (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** scrypt cost of new hashes (tests lower it; default DEFAULT_SCRYPT). */
  hash?: Partial<ScryptParams>;
}

/** Bad usage: exit 2. */
class UsageError extends Error {}
/** A refused change (already a member, no such attribute ...): exit 1. */
class Refused extends Error {}

const OPTIONS = {
  registry: { type: 'string' },
  dn: { type: 'string' },
  groups: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  description: { type: 'string' },
  max: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** Which options each command takes besides --registry and --help. */
const ALLOWED: Record<string, readonly (keyof Values)[]> = {
  create: ['dn', 'groups', 'password', 'password-stdin', 'description'],
  modify: ['password', 'password-stdin'],
  delete: [],
  list: ['max', 'json'],
  show: ['json'],
};

const STDIN_MAX = 64 * 1024;

async function readPasswordFromStdin(stdin: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += b.length;
    if (size > STDIN_MAX) throw new UsageError('the password on stdin is too long');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (/[\r\n]/.test(text)) throw new UsageError('the password on stdin must be one line');
  if (text.length === 0) throw new UsageError('no password on stdin');
  return text;
}

function loginId(id: string | undefined): string {
  if (id === undefined) throw new UsageError('missing login ID');
  return checkLoginId(id, 'login ID');
}

function arity(rest: readonly string[], n: number, what: string): void {
  if (rest.length !== n) throw new UsageError(`${what} takes ${n === 0 ? 'no further arguments' : `${n} argument${n > 1 ? 's' : ''}`}`);
}

function yesNo(v: string | undefined): boolean {
  const s = v?.toLowerCase();
  if (s === 'yes') return true;
  if (s === 'no') return false;
  throw new UsageError(`account-valid takes yes or no, got ${JSON.stringify(v ?? '')}`);
}

function formatShow(u: UserDetails): string {
  const attrs = Object.entries(u.attributes);
  return [
    `Login ID: ${u.id}`,
    `DN: ${u.dn}`,
    `Description: ${u.description ?? ''}`,
    `Account valid: ${u.accountValid ? 'yes' : 'no'}`,
    `Password set: ${u.hasPassword ? 'yes' : 'no'}`,
    `Groups: ${u.groups.join(', ')}`,
    `Max concurrent web sessions: ${u.maxConcurrentWebSessions}`,
    attrs.length === 0 ? 'Attributes: none' : 'Attributes:',
    ...attrs.map(([k, v]) => `  ${k}: ${v}`),
    '',
  ].join('\n');
}

function toJson(u: UserDetails): object {
  return {
    id: u.id, dn: u.dn, description: u.description ?? null, accountValid: u.accountValid, hasPassword: u.hasPassword,
    groups: u.groups, maxConcurrentWebSessions: u.maxConcurrentWebSessions, attributes: u.attributes,
  };
}

/** A change to apply to one user; checked before the registry is opened. */
type Modification = (reg: FileRegistry, id: string) => Promise<unknown>;

async function parseModify(rest: string[], values: Values, io: UserCommandIO): Promise<Modification> {
  const [what, ...args] = rest;
  if (what !== 'password' && (values.password !== undefined || values['password-stdin']))
    throw new UsageError('--password and --password-stdin only go with `modify <id> password` or `create`');
  switch (what) {
    case 'account-valid': {
      arity(args, 1, 'account-valid');
      const valid = yesNo(args[0]);
      return (reg, id) => reg.update(id, { accountValid: valid });
    }
    case 'password': {
      const sources = [values.password !== undefined, values['password-stdin'] === true, args.length > 0].filter(Boolean).length;
      if (sources !== 1) throw new UsageError('give the new password once: --password-stdin, --password <pw> or as an argument');
      if (args.length > 1) throw new UsageError('password takes 1 argument (quote it)');
      const password = values['password-stdin'] ? await readPasswordFromStdin(io.stdin) : (values.password ?? args[0]!);
      checkPassword(password);
      return (reg, id) => reg.setPassword(id, password);
    }
    case 'groups': {
      arity(args, 2, 'groups');
      const [op, group] = args as [string, string];
      if (op !== 'add' && op !== 'remove') throw new UsageError(`groups takes add or remove, got ${JSON.stringify(op)}`);
      if (group.length === 0 || group.includes(',') || group.length > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(group))
        throw new UsageError(`group name ${JSON.stringify(group)} must be 1-256 characters, one line, without commas`);
      return (reg, id) => reg.modifyUser(id, (u) => {
        const has = u.groups.includes(group);
        if (op === 'add' && has) throw new Refused(`user '${id}' is already in group '${group}'`);
        if (op === 'remove' && !has) throw new Refused(`user '${id}' is not in group '${group}'`);
        u.groups = op === 'add' ? [...u.groups, group] : u.groups.filter((g) => g !== group);
      });
    }
    case 'max-concurrent-web-sessions': {
      arity(args, 1, 'max-concurrent-web-sessions');
      const policy = validatePolicy(args[0]);
      return (reg, id) => reg.update(id, { maxConcurrentWebSessions: policy });
    }
    case 'attribute': {
      arity(args, 2, 'attribute');
      const [name, value] = args as [string, string];
      if (!ATTRIBUTE_NAME.test(name)) throw new UsageError(`attribute name ${JSON.stringify(name)} must be 1-128 of A-Z a-z 0-9 _ . : -`);
      return (reg, id) => reg.modifyUser(id, (u) => { u.attributes = { ...u.attributes, [name]: value }; });
    }
    case 'attribute-remove': {
      arity(args, 1, 'attribute-remove');
      const name = args[0]!;
      return (reg, id) => reg.modifyUser(id, (u) => {
        if (!Object.hasOwn(u.attributes, name)) throw new Refused(`user '${id}' has no attribute '${name}'`);
        const { [name]: _gone, ...kept } = u.attributes;
        u.attributes = kept;
      });
    }
    case 'description': {
      if (args.length === 0) throw new UsageError('description takes the text ("" removes it)');
      const text = args.join(' ');
      return (reg, id) => reg.modifyUser(id, (u) => {
        if (text === '') delete u.description;
        else u.description = text;
      });
    }
    case 'dn': {
      arity(args, 1, 'dn');
      const dn = args[0]!;
      return (reg, id) => reg.update(id, { dn });
    }
    case undefined:
      throw new UsageError('modify needs what to change (account-valid, password, groups, max-concurrent-web-sessions, attribute, attribute-remove, description, dn)');
    default:
      throw new UsageError(`cannot modify ${JSON.stringify(what)}`);
  }
}

async function run(argv: string[], io: UserCommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Values;
  const [command, ...rest] = parsed.positionals;
  if (values.help) { io.stdout.write(USER_USAGE); return 0; }
  if (command === undefined) throw new UsageError('missing command');
  const allowed = ALLOWED[command];
  if (allowed === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  for (const key of Object.keys(values) as (keyof Values)[])
    if (key !== 'registry' && key !== 'help' && !allowed.includes(key)) throw new UsageError(`--${key} does not go with \`user ${command}\``);
  const file = values.registry ?? (io.env ?? process.env)['GATEHOUSE_REGISTRY'];
  if (file === undefined || file === '') throw new UsageError('which registry? give --registry <file> or set GATEHOUSE_REGISTRY');
  const open = () => FileRegistry.open(file, { watch: false, hash: io.hash });

  switch (command) {
    case 'create': {
      const id = loginId(rest[0]);
      arity(rest.slice(1), 0, 'create <id>');
      if (values.password !== undefined && values['password-stdin']) throw new UsageError('give either --password or --password-stdin');
      const password = values['password-stdin'] ? await readPasswordFromStdin(io.stdin) : values.password;
      if (password !== undefined) checkPassword(password);
      const groups = values.groups === undefined ? [] : values.groups.split(',').map((g) => g.trim()).filter((g) => g !== '');
      const input = { id, dn: values.dn, groups, password, description: values.description };
      checkNewUser(input); // before the file is made: bad input leaves no empty registry behind
      // The first `user create` makes the file.
      const reg = await FileRegistry.open(file, { watch: false, hash: io.hash }).catch(async (err: unknown) => {
        if (err instanceof RegistryError && err.code === 'ERR_GH_REGISTRY_NOT_FOUND') {
          return FileRegistry.create(file, { watch: false, hash: io.hash }).catch((e: unknown) => {
            if (e instanceof RegistryError && e.code === 'ERR_GH_REGISTRY_EXISTS') return open();
            throw e;
          });
        }
        throw err;
      });
      try {
        await reg.createUser(input);
      } finally {
        reg.close();
      }
      return 0;
    }
    case 'modify': {
      const id = loginId(rest[0]);
      const change = await parseModify(rest.slice(1), values, io);
      const reg = await open();
      try {
        await change(reg, id);
      } finally {
        reg.close();
      }
      return 0;
    }
    case 'delete': {
      const id = loginId(rest[0]);
      arity(rest.slice(1), 0, 'delete <id>');
      const reg = await open();
      try {
        await reg.deleteUser(id);
      } finally {
        reg.close();
      }
      return 0;
    }
    case 'list': {
      if (rest.length > 1) throw new UsageError('list takes at most one pattern');
      let max: number | undefined;
      if (values.max !== undefined) {
        if (!/^\d{1,9}$/.test(values.max) || Number(values.max) === 0) throw new UsageError(`--max must be a positive whole number, got '${values.max}'`);
        max = Number(values.max);
      }
      const pattern = rest[0] ?? '*';
      checkLoginId(pattern, 'pattern');
      const reg = await open();
      reg.close();
      const { users, total } = reg.list(pattern, { max });
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ users: users.map(toJson), total })}\n`);
      } else {
        io.stdout.write(users.map((u) => `${u.id}\n`).join(''));
        if (total > users.length) io.stderr.write(`${total} users match; showing the first ${users.length} (raise --max)\n`);
      }
      return 0;
    }
    case 'show': {
      const id = loginId(rest[0]);
      arity(rest.slice(1), 0, 'show <id>');
      const reg = await open();
      reg.close();
      const u = reg.details(id);
      if (u === undefined) throw new RegistryError('ERR_GH_USER_NOT_FOUND', `user '${id}' does not exist`);
      io.stdout.write(values.json ? `${JSON.stringify(toJson(u))}\n` : formatShow(u));
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

/**
 * Runs `gatehouse user <argv...>` (argv is what follows `user`) and returns
 * the exit code; messages go to io.stderr, never a password or a hash.
 */
export async function runUserCommand(argv: string[], io: Partial<UserCommandIO> = {}): Promise<number> {
  const full: UserCommandIO = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    ...(io.env === undefined ? {} : { env: io.env }),
    ...(io.hash === undefined ? {} : { hash: io.hash }),
  };
  try {
    return await run(argv, full);
  } catch (err) {
    if (err instanceof UsageError) {
      full.stderr.write(`gatehouse user: ${err.message}\n${err.message === 'missing command' ? `\n${USER_USAGE}` : 'see `gatehouse user --help`\n'}`);
      return 2;
    }
    if (err instanceof InvalidArgumentError) {
      full.stderr.write(`gatehouse user: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Refused || err instanceof RegistryError || err instanceof GatehouseError) {
      full.stderr.write(`gatehouse user: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    full.stderr.write(`gatehouse user: ${e.message ?? String(err)}\n`);
    return 1;
  }
}
