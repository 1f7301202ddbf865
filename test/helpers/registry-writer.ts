// registry-writer.ts -- a child process that adds users to a registry file as
// fast as it can once told to go: proves concurrent writers lose nothing.
// argv: <file> <prefix> <count>; messages: 'ready' out, 'go' in, 'done' out.
import { FileRegistry } from '../../lib/registry/index.js';

const [file, prefix, count] = process.argv.slice(2) as [string, string, string];
const reg = await FileRegistry.open(file, { watch: false, hash: { ln: 4 } });
process.once('message', async () => {
  for (let i = 0; i < Number(count); i++) await reg.createUser({ id: `${prefix}${i}`, password: `pw-${prefix}${i}`, groups: [prefix] });
  reg.close();
  process.send?.('done', () => process.exit(0));
});
process.send?.('ready');
