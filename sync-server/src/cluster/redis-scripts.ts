/**
 * The cluster's state in Redis, and the Lua scripts that change it atomically. Per room (keys share the
 * room's hash tag): `lease` (string "NODE TOKEN URL", with the lease's TTL), `fence` (the last fencing
 * token handed out; never expires, so tokens only grow), and per named log `records` (a stream),
 * `snapshot` (a hash) and their `.prev` copies one compaction older. Every write of a log runs in a
 * script that first checks the caller's node and token against the live lease: Redis's own clock
 * expires the lease, so a writer whose lease has passed is refused even if nobody has taken the room yet.
 */

export const KEY_PREFIX = 'converge';

export const NODES_KEY = `${KEY_PREFIX}:nodes`;
export const LEASED_ROOMS_KEY = `${KEY_PREFIX}:leased-rooms`;

export const nodeAliveKey = (node: string): string => `${KEY_PREFIX}:node:${node}`;

export interface LogKeys {
  readonly records: string;
  readonly recordsPrev: string;
  readonly snapshot: string;
  readonly snapshotPrev: string;
}

export function roomKeys(room: string) {
  const tag = `${KEY_PREFIX}:{${room}}`;
  return {
    lease: `${tag}:lease`,
    fence: `${tag}:fence`,
    /** The room's cut links and chaos (JSON), written under the lease; absent when nothing is cut. */
    controls: `${tag}:controls`,
    log(name: string): LogKeys {
      const base = `${tag}:log:${name}`;
      return {
        records: `${base}:records`,
        recordsPrev: `${base}:records.prev`,
        snapshot: `${base}:snapshot`,
        snapshotPrev: `${base}:snapshot.prev`,
      };
    },
  };
}

/** The error a fenced write gets when its token is not the live lease's. */
export const FENCED_ERROR_PREFIX = 'FENCED';

const HOLDS = `
local function holds(leaseKey, node, token)
  local current = redis.call('GET', leaseKey)
  if not current then return false end
  local n, t = string.match(current, '^(%S+) (%d+) ')
  return n == node and t == token
end
local function refuse(token)
  return redis.error_reply('${FENCED_ERROR_PREFIX} fencing token ' .. token .. ' is not the live lease of this room')
end
`;

/**
 * KEYS: lease, fence, leased rooms, controls. ARGV: node, url, ttl ms, room.
 * Takes the lease when nobody holds it (or a former incarnation of this node id does), with the next
 * fencing token. Returns {1, value, controls} when taken (controls: the room's saved cuts and chaos as
 * they are at this instant, '' when none), {0, value} with the holder's value otherwise.
 */
export const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then
  local n = string.match(current, '^(%S+) ')
  if n ~= ARGV[1] then return {0, current} end
end
local token = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. ' ' .. token .. ' ' .. ARGV[2]
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
return {1, value, redis.call('GET', KEYS[4]) or ''}
`;

/** KEYS: lease, key. ARGV: node, token, value ('' deletes the key). 1, or FENCED when stale. */
export const FENCED_SET = `${HOLDS}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return refuse(ARGV[2]) end
if ARGV[3] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[3]) end
return 1
`;

/** KEYS: lease. ARGV: node, token, ttl ms. 1 when renewed, 0 when the lease is not (or no longer) ours. */
export const RENEW = `${HOLDS}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** KEYS: lease, leased rooms. ARGV: node, token, room. 1 when released, 0 when it was not ours. */
export const RELEASE = `${HOLDS}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[3])
return 1
`;

/** KEYS: lease, records. ARGV: node, token, checksum, record. The stream entry's id, or FENCED. */
export const FENCED_APPEND = `${HOLDS}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return refuse(ARGV[2]) end
return redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 'c', ARGV[3], 'r', ARGV[4])
`;

/**
 * KEYS: lease, records, records.prev, snapshot, snapshot.prev. ARGV: node, token, checksum, snapshot.
 * Keeps the previous snapshot and the records since it one compaction longer; FENCED when stale.
 */
export const FENCED_COMPACT = `${HOLDS}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return refuse(ARGV[2]) end
redis.call('DEL', KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[3]) end
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('RENAME', KEYS[4], KEYS[5])
else
  redis.call('DEL', KEYS[5])
end
redis.call('HSET', KEYS[4], 't', ARGV[2], 'c', ARGV[3], 'r', ARGV[4])
return 1
`;

/**
 * KEYS: leased rooms. Every live lease as {room, value, pttl, ...}; rooms whose lease expired are
 * dropped from the set here, atomically, so a lease taken meanwhile is never forgotten.
 */
export const LIST_LEASES = `
local out = {}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = '${KEY_PREFIX}:{' .. room .. '}:lease'
  local value = redis.call('GET', key)
  if value then
    table.insert(out, room)
    table.insert(out, value)
    table.insert(out, redis.call('PTTL', key))
  else
    redis.call('SREM', KEYS[1], room)
  end
end
return out
`;

/** A lease's value: who holds it, with which token, where to reach it. */
export interface LeaseValue {
  readonly node: string;
  readonly token: number;
  readonly url: string;
}

export function parseLeaseValue(value: string): LeaseValue {
  const match = /^(\S+) (\d+) (\S+)$/.exec(value);
  if (match === null) throw new Error(`malformed lease value: ${value}`);
  return { node: match[1] as string, token: Number(match[2]), url: match[3] as string };
}
