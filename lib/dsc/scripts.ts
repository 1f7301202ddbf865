// scripts.ts -- the Lua scripts behind every change to the distributed cache.
//
// Each script touches the keys of one user only (one hash slot, see keys.ts),
// so it runs atomically on a standalone server and on a Cluster. Each one that
// can end a session PUBLISHes the change inside the script: a termination
// that Redis has applied is always announced, even if the Gatehouse process
// that asked dies before it reads the reply.
//
// A session is valid while its record has no end reason (`x`), its birth
// generation equals its user's (`g`), its birth epoch equals the fleet's, and
// neither lifetime nor inactivity has run out. `terminate all_sessions` bumps
// the generation and `signout all_sessions` the epoch: O(1) each.
import crypto from 'node:crypto';

export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): Script {
  return { name, source, sha: crypto.createHash('sha1').update(source).digest('hex') };
}

// The time (ms) a session stops counting against its user's limit: the
// earlier of its lifetime and its inactivity deadline ('+inf' for neither).
const DEADLINE = `
local function deadline(c, lt, l, it)
  local d = nil
  if lt > 0 then d = c + lt * 1000 end
  if it > 0 then
    local i = l + it * 1000
    if d == nil or i < d then d = i end
  end
  return d
end
`;

/**
 * KEYS: user, live, session, account invalidation. ARGV: login ID, session
 * fingerprint, now, max sessions (0 = no limit), epoch at birth, attributes,
 * lifetime s, inactivity s, auth method, auth level, flags, user session ID,
 * host, tombstone ms. Returns {1, count} when created, {0, count} when the
 * user is at the limit, {-1, 0} when the account is invalidated fleet-wide
 * (checked in the same script: an invalidation that returned holds against
 * every login that records its session after it).
 */
export const CREATE = script('create', `${DEADLINE}
if redis.call('EXISTS', KEYS[4]) == 1 then return {-1, 0} end
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local count = redis.call('ZCARD', KEYS[2])
local max = tonumber(ARGV[4])
if max > 0 and count >= max then return {0, count} end
local u = redis.call('HMGET', KEYS[1], 'g', 'r')
local g = u[1] or '0'
local r = u[2] or '0'
redis.call('HSET', KEYS[1], 'n', ARGV[1])
redis.call('HSET', KEYS[3], 'u', ARGV[1], 'a', ARGV[6], 'c', ARGV[3], 'l', ARGV[3], 'lt', ARGV[7], 'it', ARGV[8],
  'g', g, 'e', ARGV[5], 'r', r, 'm', ARGV[9], 'al', ARGV[10], 'f', ARGV[11], 'us', ARGV[12], 'h', ARGV[13])
local d = deadline(now, tonumber(ARGV[7]), now, tonumber(ARGV[8]))
if d then
  redis.call('PEXPIREAT', KEYS[3], d + tonumber(ARGV[14]))
  redis.call('ZADD', KEYS[2], d, ARGV[2])
else
  redis.call('ZADD', KEYS[2], '+inf', ARGV[2])
end
return {1, count + 1}
`);

/**
 * KEYS: user, session, account invalidation. Returns {session fields
 * (HGETALL), {user g, gr, r}, 1 if the account is invalidated fleet-wide}.
 */
export const FETCH = script('fetch', `
return {redis.call('HGETALL', KEYS[2]), redis.call('HMGET', KEYS[1], 'g', 'gr', 'r'), redis.call('EXISTS', KEYS[3])}
`);

/**
 * Ends one session (terminate session, logout, displacement of one).
 * KEYS: user, live, session. ARGV: session fingerprint, reason, channel,
 * login ID, tombstone ms, now. Returns 1 if a live session ended, else 0.
 */
export const END_SESSION = script('end_session', `
local f = redis.call('HMGET', KEYS[3], 'x', 'g', 'c', 'lt', 'l', 'it')
if not f[3] or f[1] then return 0 end
local ug = redis.call('HGET', KEYS[1], 'g') or '0'
if f[2] ~= ug then return 0 end
local now = tonumber(ARGV[6])
local lt = tonumber(f[4])
local it = tonumber(f[6])
if lt > 0 and now >= tonumber(f[3]) + lt * 1000 then return 0 end
if it > 0 and now >= tonumber(f[5]) + it * 1000 then return 0 end
redis.call('HSET', KEYS[3], 'x', ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], 'u\\t' .. ARGV[4])
return 1
`);

/**
 * terminate all_sessions (or displacement of all). KEYS: user, live.
 * ARGV: reason, now, channel, login ID. Returns how many live sessions ended.
 */
export const END_ALL = script('end_all', `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[2])
redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HSET', KEYS[1], 'gr', ARGV[1], 'n', ARGV[4])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], 'u\\t' .. ARGV[4])
return n
`);

/** refresh all_sessions. KEYS: user, live. ARGV: now, channel, login ID. Returns live sessions marked. */
export const REFRESH_ALL = script('refresh_all', `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[1]))
local n = redis.call('ZCARD', KEYS[2])
redis.call('HINCRBY', KEYS[1], 'r', 1)
redis.call('HSET', KEYS[1], 'n', ARGV[3])
redis.call('PUBLISH', ARGV[2], 'u\\t' .. ARGV[3])
return n
`);

/** Live sessions of a user. KEYS: user, live. ARGV: now. */
export const COUNT = script('count', `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[2])
`);

/**
 * Last access, written at most once per dsess-last-access-update-interval.
 * KEYS: live, session. ARGV: session fingerprint, now, tombstone ms.
 * Returns 1 if the session is still recorded as live.
 */
export const TOUCH = script('touch', `${DEADLINE}
local f = redis.call('HMGET', KEYS[2], 'x', 'c', 'lt', 'l', 'it')
if not f[2] or f[1] then return 0 end
local now = tonumber(ARGV[2])
if tonumber(f[4]) >= now then return 1 end
redis.call('HSET', KEYS[2], 'l', ARGV[2])
local d = deadline(tonumber(f[2]), tonumber(f[3]), now, tonumber(f[5]))
if d then
  redis.call('PEXPIREAT', KEYS[2], d + tonumber(ARGV[3]))
  redis.call('ZADD', KEYS[1], 'XX', d, ARGV[1])
end
return 1
`);

/** signout all_sessions. KEYS: epoch. ARGV: channel. Returns the new epoch. */
export const SIGN_OUT_EVERYONE = script('sign_out_everyone', `
local e = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], 'g\\t' .. e)
return e
`);

export const ALL_SCRIPTS = [CREATE, FETCH, END_SESSION, END_ALL, REFRESH_ALL, COUNT, TOUCH, SIGN_OUT_EVERYONE];
