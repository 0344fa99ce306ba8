/**
 * Every state change of an order is one Lua script, so the check ("is this order still
 * submitting?") and the write happen atomically: two processes can never both start an attempt
 * or both record an outcome for the same key. KEYS[1] is the record hash, KEYS[2] its attempt
 * list, KEYS[3] the time index; ARGV[1] is the key prefix for the per-state sets.
 */

// Moves `member` from the old state's set to the new one's and re-scores the time index.
const MOVE_STATE = `
local function move_state(prefix, member, old, new, now)
  if old then redis.call('SREM', prefix .. ':state:' .. old, member) end
  redis.call('SADD', prefix .. ':state:' .. new, member)
  redis.call('ZADD', KEYS[3], now, member)
end
`;

/** ARGV: prefix, member, nowMs, nowIso, tenant, portal, ordernr, payload, xmlProof → {'created'|'duplicate', state} */
export const REGISTER = `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
if state then return {'duplicate', state} end
redis.call('HSET', KEYS[1], 'state', 'queued', 'tenant', ARGV[5], 'portal', ARGV[6], 'ordernr', ARGV[7],
  'receivedAt', ARGV[4], 'updatedAt', ARGV[4], 'attempts', '0', 'payload', ARGV[8], 'xmlProof', ARGV[9])
move_state(ARGV[1], ARGV[2], nil, 'queued', ARGV[3])
return {'created', 'queued'}
`;

/**
 * ARGV: prefix, member, nowMs, nowIso →
 *   {'started', n, xmlProof}  an attempt is open now (state submitting), recorded before any HTTP call
 *   {'open', openedAt, n}     an earlier attempt never finished: its worker died mid-call
 *   {'done', state}           nothing to do (terminal, held, or missing)
 */
export const BEGIN_ATTEMPT = `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'done', 'missing'} end
if state == 'queued' or state == 'retrying' then
  local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HSET', KEYS[1], 'state', 'submitting', 'openAttemptAt', ARGV[4], 'updatedAt', ARGV[4])
  move_state(ARGV[1], ARGV[2], state, 'submitting', ARGV[3])
  return {'started', tostring(n), redis.call('HGET', KEYS[1], 'xmlProof') or ''}
end
if state == 'submitting' then
  return {'open', redis.call('HGET', KEYS[1], 'openAttemptAt') or '', redis.call('HGET', KEYS[1], 'attempts') or '0'}
end
return {'done', state}
`;

/**
 * Closes the open attempt. ARGV: prefix, member, nowMs, nowIso, newState, attemptJson, nDel, del..., set pairs...
 * → {'ok'} or {'conflict', state} when no attempt is open (someone else finished it).
 */
export const FINISH_ATTEMPT = `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'submitting' then return {'conflict', state or 'missing'} end
redis.call('HDEL', KEYS[1], 'openAttemptAt')
local ndel = tonumber(ARGV[7])
for i = 8, 7 + ndel do redis.call('HDEL', KEYS[1], ARGV[i]) end
local rest = 8 + ndel
if #ARGV >= rest then redis.call('HSET', KEYS[1], unpack(ARGV, rest)) end
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'updatedAt', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[6])
move_state(ARGV[1], ARGV[2], state, ARGV[5], ARGV[3])
return {'ok'}
`;

/**
 * An operator's (or the reconciler's) move between resting states.
 * ARGV: prefix, member, nowMs, nowIso, newState, noteJson ('' for none), nFrom, from..., nDel, del..., set pairs...
 * → {'ok', oldState} or {'refused', state}
 */
export const TRANSITION = `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'refused', 'missing'} end
local nfrom = tonumber(ARGV[7])
local allowed = false
for i = 8, 7 + nfrom do if ARGV[i] == state then allowed = true end end
if not allowed then return {'refused', state} end
local ndel = tonumber(ARGV[8 + nfrom])
for i = 9 + nfrom, 8 + nfrom + ndel do redis.call('HDEL', KEYS[1], ARGV[i]) end
local rest = 9 + nfrom + ndel
if #ARGV >= rest then redis.call('HSET', KEYS[1], unpack(ARGV, rest)) end
redis.call('HDEL', KEYS[1], 'openAttemptAt')
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'updatedAt', ARGV[4])
if ARGV[6] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[6]) end
move_state(ARGV[1], ARGV[2], state, ARGV[5], ARGV[3])
return {'ok', state}
`;
