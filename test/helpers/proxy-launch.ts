// proxy-launch.ts -- startGatehouse with the proxy tests' defaults: the
// admin listener off, and an `eventually` poll for effects that arrive
// asynchronously (a worker restarted, a log line written).
import { startGatehouse, type GatehouseSetup, type RunningGatehouse } from './gatehouse.js';

export { CLI } from './gatehouse.js';
export type LaunchSetup = GatehouseSetup;
/** `http` is undefined when the config's `listen` has no HTTP listener. */
export type LaunchedGatehouse = Omit<RunningGatehouse, 'http'> & { readonly http?: string };

export function launchGatehouse(setup: LaunchSetup): Promise<LaunchedGatehouse> {
  return startGatehouse({ ...setup, config: { ...setup.config, admin: { enabled: 'no', ...(setup.config['admin'] as object ?? {}) } } });
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
