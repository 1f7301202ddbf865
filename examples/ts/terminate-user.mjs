// terminate-user.mjs -- ends every session of one user through Gatehouse's
// admin API with the TypeScript client (AdminClient), the way a back-end
// would: list the user's sessions, run `terminate all_sessions <user>`,
// print the server's messages. Plain ESM JavaScript, no build step.
//
//   GATEHOUSE_ADMIN_CA=gatehouse-state/admin-tls-cert.pem \
//   GATEHOUSE_ADMIN_USER=sec_master GATEHOUSE_ADMIN_PASSWORD=... \
//   node examples/ts/terminate-user.mjs <user> [server]
//
// Environment:
//   GATEHOUSE_ADMIN_URL       the admin listener (default https://127.0.0.1:7135)
//   GATEHOUSE_ADMIN_CA        PEM file to trust, e.g. the server's generated
//                             <state-dir>/admin-tls-cert.pem (default: the system's CAs)
//   GATEHOUSE_ADMIN_USER      administrator, with GATEHOUSE_ADMIN_PASSWORD; or
//   GATEHOUSE_ADMIN_TOKEN     an API token (gatehouse token create), used when no user is set
// [server] is the pdadmin server name; default: the first of `server list`.
// Secrets come from the environment only: argv is visible to other users (ps).
//
// Exit status: 0 the task succeeded (a warning such as "User bob has no
// sessions." included), 1 anything else (bad usage, refused, unreachable, failed).
import fs from 'node:fs';
// An installed package imports the same names from 'gatehouse':
//   import { AdminClient, AdminApiError, tasks } from 'gatehouse';
import { AdminClient, AdminApiError, GatehouseError, tasks } from '../../dist/lib/index.js';

const USAGE = 'usage: node terminate-user.mjs <user> [server]   (credentials: GATEHOUSE_ADMIN_USER + GATEHOUSE_ADMIN_PASSWORD, or GATEHOUSE_ADMIN_TOKEN)';

/** `ID text` per message, as pdadmin prints them; errors on stderr. */
function printMessages(messages) {
  for (const m of messages) (m.severity === 'error' ? console.error : console.log)(`${m.id} ${m.text}`);
}

/** The credentials from the environment, or undefined when there are none. */
function authFromEnv(env) {
  if (env.GATEHOUSE_ADMIN_USER) {
    return env.GATEHOUSE_ADMIN_PASSWORD ? { user: env.GATEHOUSE_ADMIN_USER, password: env.GATEHOUSE_ADMIN_PASSWORD } : undefined;
  }
  return env.GATEHOUSE_ADMIN_TOKEN ? { token: env.GATEHOUSE_ADMIN_TOKEN } : undefined;
}

async function main(argv, env) {
  const [user, server, extra] = argv;
  const auth = authFromEnv(env);
  if (!user || extra !== undefined || auth === undefined) {
    console.error(USAGE);
    return 1;
  }
  let ca;
  if (env.GATEHOUSE_ADMIN_CA) {
    try {
      ca = fs.readFileSync(env.GATEHOUSE_ADMIN_CA);
    } catch (err) {
      console.error(`error: GATEHOUSE_ADMIN_CA: cannot read ${env.GATEHOUSE_ADMIN_CA}: ${err.code ?? err.message}`);
      return 1;
    }
  }
  const admin = new AdminClient({ url: env.GATEHOUSE_ADMIN_URL || 'https://127.0.0.1:7135', auth, ...(ca ? { ca } : {}) });
  try {
    // 1. What is about to end (needs the `l` permission; a token needs the `list` scope).
    const { total, sessions } = await admin.listSessions(user);
    console.log(`${user} has ${total} session(s)`);
    for (const s of sessions) {
      // Only a prefix: the whole user session ID is enough to end that session.
      console.log(`  ${s.userSessionId.slice(0, 8)}… ${s.authMethod} created ${s.createdAt} last access ${s.lastAccessAt}`);
    }
    // 2. End them all (needs `s`; a token needs the `terminate` scope).
    const r = await admin.run(tasks.terminateAllSessions(user), server);
    printMessages(r.messages);
    return r.ok ? 0 : 1;
  } finally {
    await admin.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof AdminApiError) {
    // Refused (401/403/404/429...) or no reply (status 0: connection_failed, tls_failed, timeout).
    printMessages(err.messages);
    console.error(`error: ${err.message} (${err.apiCode}${err.status ? `, HTTP ${err.status}` : ''})`);
  } else if (err instanceof GatehouseError) {
    // A bad argument (InvalidArgumentError), e.g. a malformed URL or a user ID the builders refuse.
    console.error(`error: ${err.message}`);
  } else {
    throw err;
  }
  process.exitCode = 1;
}
