// An ESM resolve hook (node --import) that fails any import of the addon
// loader, so a test can prove a module graph never reaches it.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/\\/native\\.js$|node-gyp-build|\\.node$/.test(r.url)) throw new Error('refused to load the native addon: ' + r.url);
  return r;
}`));
