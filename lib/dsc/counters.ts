// counters.ts -- the failed-login counters of a fleet (login-throttle.ts):
// rate-limiter-flexible's Redis limiter on this process's connection to the
// fleet's Redis, so failures spread over several hosts add up to one count,
// and a limit reached through one host refuses logins on every host.
//
// Each counter is one key (`<prefix>:<purpose>:<digest>`), and every command
// the limiter sends touches that key only: it lives in one slot on a Cluster.
// Every call has the command deadline (RLWrapperTimeouts), and a client that
// is not connected fails at once: the login path then refuses the attempt
// (503), as it refuses a login whose session cannot be recorded.
import { RateLimiterRedis, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { CounterFactory } from '../proxy/counters.js';
import type { SessionStore } from './store.js';

export function fleetCounters(store: SessionStore, commandTimeoutMs: number): CounterFactory {
  return (o) => new RLWrapperTimeouts({
    limiter: new RateLimiterRedis({
      ...o,
      keyPrefix: store.keys.counter(o.keyPrefix),
      storeClient: store.link.client,
      // node-redis 4+ (the fleet's client), standalone or Cluster.
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
    }),
    timeoutMs: commandTimeoutMs,
  });
}
