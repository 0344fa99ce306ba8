/**
 * Every state change of an order is one Lua script, so the check ("is this order still
 * submitting?") and the write happen atomically: two processes can never both start an attempt
 * or both record an outcome for the same key.
 *
 * KEYS: [1] the record hash, [2] its attempt list, [3] the index by last change,
 *       [4] the portal's order-id index (hash ordernr → key), [5] the index of final outcomes,
 *       [6] the portal-notification queue (zset key → due time).
 * ARGV header: [1] key prefix (for the per-state sets), [2] the order key, [3] now (ms),
 *       [4] now (ISO), [5] the portals that are told outcomes (",wellnet,epassi,"); then per script.
 */

const HEADER = `
local prefix, member, now_ms, now_iso, notify_portals = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

-- Moves the key between per-state sets and indexes, and queues the portal notification when an
-- order reaches an outcome its portal must be told about, in the same atomic step.
local function move_state(old, new)
  if old then redis.call('SREM', prefix .. ':state:' .. old, member) end
  redis.call('SADD', prefix .. ':state:' .. new, member)
  redis.call('ZADD', KEYS[3], now_ms, member)
  -- The outcome's time is when it was first reached (a "still unroutable" note does not move it).
  if (new == 'confirmed' or new == 'rejected' or new == 'unroutable') and old ~= new then
    redis.call('ZADD', KEYS[5], now_ms, member)
  end
  if new == 'confirmed' or new == 'rejected' then
    local portal = redis.call('HGET', KEYS[1], 'portal') or ''
    if string.find(notify_portals, ',' .. portal .. ',', 1, true) then
      redis.call('ZADD', KEYS[6], now_ms, member)
      redis.call('HDEL', KEYS[1], 'notifiedAt')
    end
  end
end
`;

/**
 * ARGV[6..]: tenant, portal, ordernr, payload, xmlProof, initialState, replaceIndexFrom, extra field pairs...
 * The portal's order id is claimed in the index at the same time, so the same portal order can
 * never become two records, whatever tenant routing says. `replaceIndexFrom` lets a re-routed
 * unroutable order take over its own index entry. → {'created', state} | {'duplicate', state, existingKey}
 */
export const REGISTER = `${HEADER}
local ordernr, initial, replace_from = ARGV[8], ARGV[11], ARGV[12]
local indexed = redis.call('HGET', KEYS[4], ordernr)
if indexed and indexed ~= replace_from then
  local existing = redis.call('HGET', prefix .. ':order:' .. indexed, 'state') or 'missing'
  return {'duplicate', existing, indexed}
end
local state = redis.call('HGET', KEYS[1], 'state')
if state then return {'duplicate', state, member} end
redis.call('HSET', KEYS[1], 'state', initial, 'tenant', ARGV[6], 'portal', ARGV[7], 'ordernr', ordernr,
  'receivedAt', now_iso, 'updatedAt', now_iso, 'attempts', '0')
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'payload', ARGV[9]) end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'xmlProof', ARGV[10]) end
if #ARGV >= 13 then redis.call('HSET', KEYS[1], unpack(ARGV, 13)) end
redis.call('HSET', KEYS[4], ordernr, member)
move_state(nil, initial)
return {'created', initial, member}
`;

/**
 * → {'started', n, xmlProof, xml}  an attempt is open now (state submitting), recorded before any HTTP call
 *   {'open', openedAt, n}     an earlier attempt never finished: its worker died mid-call
 *   {'done', state}           nothing to do (terminal, held, or missing)
 */
export const BEGIN_ATTEMPT = `${HEADER}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'done', 'missing'} end
if state == 'queued' or state == 'retrying' then
  local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HSET', KEYS[1], 'state', 'submitting', 'openAttemptAt', now_iso, 'updatedAt', now_iso)
  move_state(state, 'submitting')
  return {'started', tostring(n), redis.call('HGET', KEYS[1], 'xmlProof') or '', redis.call('HGET', KEYS[1], 'xml') or ''}
end
if state == 'submitting' then
  return {'open', redis.call('HGET', KEYS[1], 'openAttemptAt') or '', redis.call('HGET', KEYS[1], 'attempts') or '0'}
end
return {'done', state}
`;

/**
 * Closes the open attempt. ARGV[6..]: newState, attemptJson, nDel, del..., set pairs...
 * → {'ok'} or {'conflict', state} when no attempt is open (someone else finished it).
 */
export const FINISH_ATTEMPT = `${HEADER}
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'submitting' then return {'conflict', state or 'missing'} end
local new = ARGV[6]
redis.call('HDEL', KEYS[1], 'openAttemptAt')
local ndel = tonumber(ARGV[8])
for i = 9, 8 + ndel do redis.call('HDEL', KEYS[1], ARGV[i]) end
local rest = 9 + ndel
if #ARGV >= rest then redis.call('HSET', KEYS[1], unpack(ARGV, rest)) end
redis.call('HSET', KEYS[1], 'state', new, 'updatedAt', now_iso)
redis.call('RPUSH', KEYS[2], ARGV[7])
move_state(state, new)
return {'ok'}
`;

/**
 * A move between resting states (operator, reconciler, re-routing).
 * ARGV[6..]: newState, noteJson ('' for none), nFrom, from..., nDel, del..., set pairs...
 * → {'ok', oldState} or {'refused', state}
 */
export const TRANSITION = `${HEADER}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'refused', 'missing'} end
local new, note = ARGV[6], ARGV[7]
local nfrom = tonumber(ARGV[8])
local allowed = false
for i = 9, 8 + nfrom do if ARGV[i] == state then allowed = true end end
if not allowed then return {'refused', state} end
local ndel = tonumber(ARGV[9 + nfrom])
for i = 10 + nfrom, 9 + nfrom + ndel do redis.call('HDEL', KEYS[1], ARGV[i]) end
local rest = 10 + nfrom + ndel
if #ARGV >= rest then redis.call('HSET', KEYS[1], unpack(ARGV, rest)) end
redis.call('HDEL', KEYS[1], 'openAttemptAt')
redis.call('HSET', KEYS[1], 'state', new, 'updatedAt', now_iso)
if note ~= '' then redis.call('RPUSH', KEYS[2], note) end
move_state(state, new)
return {'ok', state}
`;

/**
 * Hands out up to ARGV[1] portal notifications that are due at ARGV[2] (ms), leasing each for
 * ARGV[3] ms (its due time moves to now + lease), so replicas do not send the same one at once;
 * one that is not settled within the lease is due again. KEYS[1]: the notification queue.
 */
export const CLAIM_NOTIFICATIONS = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), member) end
return due
`;
