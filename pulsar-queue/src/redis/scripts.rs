//! The Lua scripts for every step that must be atomic. `redis::Script` sends EVALSHA and
//! loads the script on NOSCRIPT, so a restarted Redis (empty script cache) just works.
//!
//! Keys: `<p>:stream` (ready and in-flight tasks, consumer group `workers`), `<p>:delayed`
//! and `<p>:retry` (sorted sets of task ids by due unix ms), `<p>:task:<id>` (hash of a
//! waiting task), `<p>:unique:<key>` (the task id holding a unique key, with an expiry),
//! `<p>:dead` (dead letters). Times come from the server clock (TIME), so processes with
//! skewed clocks agree on what is due.

use redis::Script;

/// Shared Lua helpers, prepended to each script.
const PRELUDE: &str = r"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fields(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end
local function release(prefix, key, id)
  if key ~= nil and key ~= '' then
    local ukey = prefix .. ':unique:' .. key
    if redis.call('GET', ukey) == id then redis.call('DEL', ukey) end
  end
end
-- 1: owned by `consumer`; 0: not pending (settled, or its group is gone); -1: another owner.
local function owner_check(stream, group, entry, consumer)
  local p = redis.pcall('XPENDING', stream, group, entry, entry, 1)
  if type(p) ~= 'table' or p.err or #p == 0 then return 0 end
  if p[1][2] ~= consumer then return -1 end
  return 1
end
-- Tolerates entries with missing fields (written by something else under the prefix).
local function bury(dead, maxlen, f, attempt, reason, now)
  redis.call('XADD', dead, 'MAXLEN', maxlen, '*', 'id', f.id or '', 'key', f.key or '',
    'payload', f.payload or '', 'attempt', attempt, 'enq', f.enq or 0, 'reason', reason,
    'failed', now)
end
";

/// KEYS: stream, delayed. ARGV: prefix, unique ttl ms, then per task: id, key, payload,
/// not-before ms (0 = now). Returns per task 1 (queued) or the id holding the key.
const ENQUEUE: &str = r"
local prefix, ttl = ARGV[1], ARGV[2]
local now = now_ms()
local out = {}
for i = 3, #ARGV, 4 do
  local id, key, payload, nbf = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local holder = nil
  if key ~= '' then
    local ukey = prefix .. ':unique:' .. key
    if not redis.call('SET', ukey, id, 'NX', 'PX', ttl) then
      holder = redis.call('GET', ukey) or ''
    end
  end
  if holder then
    out[#out + 1] = holder
  else
    if nbf > now then
      redis.call('HSET', prefix .. ':task:' .. id, 'id', id, 'key', key, 'payload', payload,
        'attempt', 1, 'enq', now)
      redis.call('ZADD', KEYS[2], nbf, id)
    else
      redis.call('XADD', KEYS[1], '*', 'id', id, 'key', key, 'payload', payload,
        'attempt', 1, 'enq', now)
    end
    out[#out + 1] = 1
  end
end
return out
";

/// KEYS: stream, delayed, retry. ARGV: prefix, limit. Moves due tasks into the stream.
/// Returns {moved, ms until the next one is due or -1}.
const PROMOTE: &str = r"
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local moved = 0
for z = 2, 3 do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[z], '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local hkey = prefix .. ':task:' .. id
    local flat = redis.call('HGETALL', hkey)
    if #flat > 0 then
      redis.call('XADD', KEYS[1], '*', unpack(flat))
      moved = moved + 1
    end
    redis.call('DEL', hkey)
    redis.call('ZREM', KEYS[z], id)
  end
end
local wait = -1
for z = 2, 3 do
  local first = redis.call('ZRANGE', KEYS[z], 0, 0, 'WITHSCORES')
  if #first > 0 then
    local due = math.max(0, math.floor(tonumber(first[2])) - now)
    if wait < 0 or due < wait then wait = due end
  end
end
return {moved, wait}
";

/// KEYS: stream. ARGV: group, prefix, then per ack: entry id, consumer, task id, key.
/// Returns per ack 1 (acked), 0 (not pending) or -1 (leased to another consumer).
const ACK: &str = r"
local group, prefix = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 4 do
  local entry, consumer, id, key = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local owned = owner_check(KEYS[1], group, entry, consumer)
  if owned == 1 then
    redis.call('XACK', KEYS[1], group, entry)
    redis.call('XDEL', KEYS[1], entry)
    release(prefix, key, id)
  end
  out[#out + 1] = owned
end
return out
";

/// KEYS: stream. ARGV: group, entry id, consumer. Restarts the lease (XCLAIM to the same
/// consumer resets its idle time without counting a delivery). Returns 1, 0, -1 (as ACK).
const EXTEND: &str = r"
local owned = owner_check(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
if owned ~= 1 then return owned end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1
";

/// KEYS: stream, retry, dead. ARGV: group, prefix, entry id, consumer, attempt, delay ms
/// (-1 = dead-letter), reason, dead max len. Returns 1 (retrying), 2 (dead), 0, -1 (as ACK).
const NACK: &str = r"
local group, prefix, entry, consumer = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local attempt, delay, reason, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8]
local owned = owner_check(KEYS[1], group, entry, consumer)
if owned ~= 1 then return owned end
local e = redis.call('XRANGE', KEYS[1], entry, entry)
redis.call('XACK', KEYS[1], group, entry)
redis.call('XDEL', KEYS[1], entry)
if #e == 0 then return 0 end
local f = fields(e[1][2])
local now = now_ms()
if delay < 0 then
  bury(KEYS[3], maxlen, f, attempt, reason, now)
  release(prefix, f.key, f.id)
  return 2
end
redis.call('HSET', prefix .. ':task:' .. f.id, 'id', f.id, 'key', f.key, 'payload', f.payload,
  'attempt', attempt + 1, 'enq', f.enq)
redis.call('ZADD', KEYS[2], now + delay, f.id)
return 1
";

/// KEYS: stream, dead. ARGV: group, prefix, consumer, lease ms, count, max attempts, dead max
/// len. Takes over up to `count` entries whose lease expired, as their next attempt; those
/// out of attempts are dead-lettered. Returns {{entry id, fields, attempt}, ...}.
const RECLAIM: &str = r"
local group, prefix, consumer = ARGV[1], ARGV[2], ARGV[3]
local lease, count, max_attempts, maxlen = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local p = redis.pcall('XPENDING', KEYS[1], group, 'IDLE', lease, '-', '+', count)
if type(p) ~= 'table' or p.err then return {} end
local now = now_ms()
local claim, attempts = {}, {}
for _, row in ipairs(p) do
  local entry, deliveries = row[1], tonumber(row[4])
  local e = redis.call('XRANGE', KEYS[1], entry, entry)
  if #e == 0 then
    redis.call('XACK', KEYS[1], group, entry)
  else
    local f = fields(e[1][2])
    local attempt = (tonumber(f.attempt) or 1) + deliveries
    if attempt > max_attempts then
      bury(KEYS[2], maxlen, f, attempt - 1, 'lease expired on attempt ' .. (attempt - 1), now)
      redis.call('XACK', KEYS[1], group, entry)
      redis.call('XDEL', KEYS[1], entry)
      release(prefix, f.key, f.id)
    else
      claim[#claim + 1] = entry
      attempts[entry] = attempt
    end
  end
end
local out = {}
if #claim > 0 then
  local claimed = redis.call('XCLAIM', KEYS[1], group, consumer, lease, unpack(claim))
  for _, c in ipairs(claimed) do
    out[#out + 1] = {c[1], c[2], attempts[c[1]]}
  end
end
return out
";

/// KEYS: stream, delayed, retry, dead. ARGV: group.
/// Returns {ready, in flight, delayed, retrying, dead, oldest ready age ms or -1,
/// {{consumer, in flight}, ...}}.
const STATS: &str = r"
local group = ARGV[1]
local now = now_ms()
local len = redis.call('XLEN', KEYS[1])
local inflight, consumers = 0, {}
local summary = redis.pcall('XPENDING', KEYS[1], group)
if type(summary) == 'table' and not summary.err then
  inflight = tonumber(summary[1])
  if summary[4] then consumers = summary[4] end
end
local oldest = -1
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) == 'table' and not groups.err then
  for _, g in ipairs(groups) do
    local info = fields(g)
    if info['name'] == group then
      local first = redis.call('XRANGE', KEYS[1], '(' .. info['last-delivered-id'], '+', 'COUNT', 1)
      if #first > 0 then
        local ms = tonumber(string.match(first[1][1], '^(%d+)'))
        oldest = math.max(0, now - ms)
      end
    end
  end
end
return {math.max(0, len - inflight), inflight, redis.call('ZCARD', KEYS[2]),
  redis.call('ZCARD', KEYS[3]), redis.call('XLEN', KEYS[4]), oldest, consumers}
";

/// The compiled scripts of one queue.
pub(crate) struct Scripts {
    pub(crate) enqueue: Script,
    pub(crate) promote: Script,
    pub(crate) ack: Script,
    pub(crate) extend: Script,
    pub(crate) nack: Script,
    pub(crate) reclaim: Script,
    pub(crate) stats: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let with_prelude = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Self {
            enqueue: with_prelude(ENQUEUE),
            promote: with_prelude(PROMOTE),
            ack: with_prelude(ACK),
            extend: with_prelude(EXTEND),
            nack: with_prelude(NACK),
            reclaim: with_prelude(RECLAIM),
            stats: with_prelude(STATS),
        }
    }
}
