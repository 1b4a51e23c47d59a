/**
 * The Lua scripts behind RedisQueueStore. Every change that touches more than
 * one key runs as one script, so Redis applies it atomically and two processes
 * can never both claim a job or see half of a move.
 *
 * ARGV[1] is always the key prefix; scripts build their keys from it (standalone
 * Redis only: a cluster would need every key declared and in one slot).
 *
 * Job hash fields hold strings: plain for id/seat/priority/state/shape, decimal
 * for numbers ('' for null), JSON for everything else. Lua only reads the plain
 * and numeric ones and never decodes JSON (cjson would turn [] into {} and round
 * big numbers), and it returns numbers as strings (a Lua number reply is truncated
 * to an integer).
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

const PRELUDE = `
local P = ARGV[1]
local function jobkey(id) return P .. 'job:' .. id end
local function lanekey(lane) return P .. 'lane:' .. lane end

local function lane_add(id, pri, seat, rank)
  redis.call('ZADD', lanekey(pri .. ':' .. seat), rank, id)
  redis.call('SADD', P .. 'lanes', pri .. ':' .. seat)
end

local function lane_remove(id, pri, seat)
  local lane = pri .. ':' .. seat
  redis.call('ZREM', lanekey(lane), id)
  if redis.call('ZCARD', lanekey(lane)) == 0 then redis.call('SREM', P .. 'lanes', lane) end
end

local function bump(hash, field, delta)
  if redis.call('HINCRBY', hash, field, delta) <= 0 then redis.call('HDEL', hash, field) end
end

-- Counters behind counts() and the caps, plus the set behind active().
local function tally(state, seat, id, delta)
  bump(P .. 'count', state, delta)
  if state == 'queued' then
    bump(P .. 'qseat', seat, delta)
  elseif state == 'dispatching' or state == 'running' then
    bump(P .. 'aseat', seat, delta)
    if delta > 0 then redis.call('SADD', P .. 'active', id) else redis.call('SREM', P .. 'active', id) end
  end
end
`;

/**
 * ARGV: P, id, seat, priority, clientRequestId ('' = none), front ('1'|'0'),
 * maxQueuedPerSeat, maxDepth, queuedAt, pin ('' = none), then job field/value pairs.
 * Dedupe comes before the caps, so a retried request never bounces off a full queue. The same id
 * from the same seat is a resend (ioredis repeats a command whose reply a dropped connection lost)
 * and answers as a duplicate; from another seat it is a conflict.
 * Ranks come from per-seat high/low water marks, so a seat's ranks never repeat:
 * a job put back in its lane with its old rank lands exactly where it was.
 * Returns {'duplicate', job} | {'seat_cap'|'queue_full', count, limit} | {'exists'} | {'ok', rank}.
 */
const INSERT = `
local id, seat, pri, crid = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local maxSeat, maxDepth = tonumber(ARGV[7]), tonumber(ARGV[8])
if crid ~= '' then
  local existing = redis.call('HGET', P .. 'req:' .. seat, crid)
  if existing then
    local job = redis.call('HGETALL', jobkey(existing))
    if #job > 0 then return {'duplicate', job} end
  end
end
local stored = redis.call('HGET', jobkey(id), 'seat')
if stored == seat then return {'duplicate', redis.call('HGETALL', jobkey(id))} end
if stored then return {'exists'} end
local mine = tonumber(redis.call('HGET', P .. 'qseat', seat) or '0')
if maxSeat > 0 and mine >= maxSeat then return {'seat_cap', tostring(mine), ARGV[7]} end
local depth = tonumber(redis.call('HGET', P .. 'count', 'queued') or '0')
if maxDepth > 0 and depth >= maxDepth then return {'queue_full', tostring(depth), ARGV[8]} end
local rank
if redis.call('HSETNX', P .. 'rankhi', seat, 0) == 1 then
  redis.call('HSET', P .. 'ranklo', seat, 0)
  rank = 0
elseif ARGV[6] == '1' then
  rank = redis.call('HINCRBY', P .. 'ranklo', seat, -1)
else
  rank = redis.call('HINCRBY', P .. 'rankhi', seat, 1)
end
redis.call('HSET', jobkey(id), 'rank', rank, unpack(ARGV, 11))
redis.call('ZADD', P .. 'jobs', ARGV[9], id)
redis.call('ZADD', P .. 'seatjobs:' .. seat, ARGV[9], id)
if crid ~= '' then redis.call('HSET', P .. 'req:' .. seat, crid, id) end
tally('queued', seat, id, 1)
lane_add(id, pri, seat, rank)
if ARGV[10] ~= '' then redis.call('ZADD', P .. 'pins', ARGV[10], id) end
return {'ok', tostring(rank)}
`;

/**
 * Every lane head (first unpinned member of each non-empty lane), the lowest pin,
 * and seat service. O(lanes): pinned jobs are few and skipped in place.
 * ARGV: P. Returns {heads, pinned, lastServed pairs, served pairs}, head = {id, seat, priority, rank, queuedAt}.
 */
const CANDIDATES = `
local heads = {}
for _, lane in ipairs(redis.call('SMEMBERS', P .. 'lanes')) do
  local sep = string.find(lane, ':', 1, true)
  local pri, seat = string.sub(lane, 1, sep - 1), string.sub(lane, sep + 1)
  local i = 0
  while true do
    local m = redis.call('ZRANGE', lanekey(lane), i, i, 'WITHSCORES')
    if #m == 0 then break end
    if not redis.call('ZSCORE', P .. 'pins', m[1]) then
      heads[#heads + 1] = {m[1], seat, pri, m[2], redis.call('HGET', jobkey(m[1]), 'queuedAt')}
      break
    end
    i = i + 1
  end
end
local pinned = {}
local first = redis.call('ZRANGE', P .. 'pins', 0, 0, 'WITHSCORES')
if #first > 0 then
  local f = redis.call('HMGET', jobkey(first[1]), 'seat', 'priority', 'rank', 'queuedAt')
  pinned = {first[1], f[1], f[2], f[3], f[4], first[2]}
end
return {heads, pinned, redis.call('HGETALL', P .. 'last'), redis.call('HGETALL', P .. 'served')}
`;

/** ARGV: P, id, worker (JSON), now. Compare-and-set queued -> dispatching. Returns the job or nil. */
const CLAIM = `
local id = ARGV[2]
local key = jobkey(id)
local f = redis.call('HMGET', key, 'state', 'seat', 'priority')
if f[1] ~= 'queued' then return false end
local seat = f[2]
lane_remove(id, f[3], seat)
redis.call('ZREM', P .. 'pins', id)
tally('queued', seat, id, -1)
tally('dispatching', seat, id, 1)
redis.call('HSET', P .. 'last', seat, redis.call('INCR', P .. 'seq'))
redis.call('HINCRBY', P .. 'served', seat, 1)
redis.call('HINCRBY', key, 'attempts', 1)
redis.call('HSET', key, 'state', 'dispatching', 'worker', ARGV[3], 'startedAt', ARGV[4], 'pin', '')
return redis.call('HGETALL', key)
`;

/**
 * ARGV: P, id, allowed states (comma-separated), new state ('' = unchanged),
 * pinFront ('1'|'0'), run-time history length, then field/value pairs.
 * Leaving 'queued' takes the job out of its lane and unpins it; entering 'queued'
 * puts it back with its original rank; entering 'succeeded' records its run time.
 */
const UPDATE = `
local id = ARGV[2]
local key = jobkey(id)
local f = redis.call('HMGET', key, 'state', 'seat', 'priority', 'rank', 'shape')
local state = f[1]
if not state then return false end
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == state then allowed = true end
end
if not allowed then return false end
local seat, pri = f[2], f[3]
local target = ARGV[4]
if target == '' then target = state end
if #ARGV > 6 then redis.call('HSET', key, unpack(ARGV, 7)) end
if target ~= state then
  if state == 'queued' then
    lane_remove(id, pri, seat)
    redis.call('ZREM', P .. 'pins', id)
    redis.call('HSET', key, 'pin', '')
  end
  tally(state, seat, id, -1)
  tally(target, seat, id, 1)
  redis.call('HSET', key, 'state', target)
  if target == 'queued' then lane_add(id, pri, seat, f[4]) end
  if target == 'succeeded' then
    local t = redis.call('HMGET', key, 'startedAt', 'finishedAt')
    if t[1] and t[1] ~= '' and t[2] and t[2] ~= '' then
      local history = P .. 'rt:' .. f[5]
      redis.call('LPUSH', history, tonumber(t[2]) - tonumber(t[1]))
      redis.call('LTRIM', history, 0, tonumber(ARGV[6]) - 1)
    end
  end
end
if ARGV[5] == '1' and target == 'queued' then
  redis.call('ZREM', P .. 'pins', id)
  local first = redis.call('ZRANGE', P .. 'pins', 0, 0, 'WITHSCORES')
  local pin = 1
  if #first > 0 then pin = tonumber(first[2]) - 1 end
  redis.call('ZADD', P .. 'pins', pin, id)
  redis.call('HSET', key, 'pin', pin)
end
return redis.call('HGETALL', key)
`;

/** ARGV: P, id, priority. Queued jobs only; the rank (and any pin) is kept. */
const SET_PRIORITY = `
local id, pri = ARGV[2], ARGV[3]
local key = jobkey(id)
local f = redis.call('HMGET', key, 'state', 'seat', 'priority', 'rank')
if f[1] ~= 'queued' then return false end
if f[3] ~= pri then
  lane_remove(id, f[3], f[2])
  lane_add(id, pri, f[2], f[4])
  redis.call('HSET', key, 'priority', pri)
end
return redis.call('HGETALL', key)
`;

/** ARGV: P, ids… Pins the queued ones 1, 2, … in list order (others and repeats skipped); every other pin is cleared. */
const SET_PINS = `
for _, id in ipairs(redis.call('ZRANGE', P .. 'pins', 0, -1)) do
  redis.call('HSET', jobkey(id), 'pin', '')
end
redis.call('DEL', P .. 'pins')
local pin = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', jobkey(id), 'state') == 'queued' and not redis.call('ZSCORE', P .. 'pins', id) then
    pin = pin + 1
    redis.call('ZADD', P .. 'pins', pin, id)
    redis.call('HSET', jobkey(id), 'pin', pin)
  end
end
return 0
`;

/** ARGV: P. Every queued job as {id, seat, priority, rank, pin, queuedAt, shape}. */
const QUEUED = `
local out = {}
for _, lane in ipairs(redis.call('SMEMBERS', P .. 'lanes')) do
  local sep = string.find(lane, ':', 1, true)
  local pri, seat = string.sub(lane, 1, sep - 1), string.sub(lane, sep + 1)
  local members = redis.call('ZRANGE', lanekey(lane), 0, -1, 'WITHSCORES')
  for i = 1, #members, 2 do
    local f = redis.call('HMGET', jobkey(members[i]), 'pin', 'queuedAt', 'shape')
    out[#out + 1] = {members[i], seat, pri, members[i + 1], f[1], f[2], f[3]}
  end
end
return out
`;

/** ARGV: P. Every dispatching or running job (full hashes). */
const ACTIVE = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'active')) do
  out[#out + 1] = redis.call('HGETALL', jobkey(id))
end
return out
`;

/** ARGV: P. {state counts, queued by seat, active by seat} as flat pairs. */
const COUNTS = `
return {redis.call('HGETALL', P .. 'count'), redis.call('HGETALL', P .. 'qseat'), redis.call('HGETALL', P .. 'aseat')}
`;

/**
 * ARGV: P, index key suffix ('jobs' or 'seatjobs:<seat>'), cursor id ('' = first page),
 * limit, allowed states (comma-separated, '' = all). Walks the index newest first,
 * filtering by state, and fetches one extra match to know whether a next page exists.
 * Returns {'bad_cursor'} | {nextCursor ('' = none), jobs}.
 */
const LIST = `
local index = P .. ARGV[2]
local limit = tonumber(ARGV[4])
local start = 0
if ARGV[3] ~= '' then
  local r = redis.call('ZREVRANK', index, ARGV[3])
  if not r then return {'bad_cursor'} end
  start = r + 1
end
local wanted = nil
if ARGV[5] ~= '' then
  wanted = {}
  for s in string.gmatch(ARGV[5], '[^,]+') do wanted[s] = true end
end
local ids = {}
while #ids <= limit do
  local batch = redis.call('ZREVRANGE', index, start, start + 199)
  if #batch == 0 then break end
  for _, id in ipairs(batch) do
    if wanted == nil or wanted[redis.call('HGET', jobkey(id), 'state')] then
      ids[#ids + 1] = id
      if #ids > limit then break end
    end
  end
  start = start + #batch
end
local next_cursor = ''
if #ids > limit then
  next_cursor = ids[limit]
  ids[limit + 1] = nil
end
local jobs = {}
for i, id in ipairs(ids) do jobs[i] = redis.call('HGETALL', jobkey(id)) end
return {next_cursor, jobs}
`;

function script(name: string, body: string): LuaScript {
  const source = PRELUDE + body;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export const SCRIPTS = {
  insert: script('insert', INSERT),
  candidates: script('candidates', CANDIDATES),
  claim: script('claim', CLAIM),
  update: script('update', UPDATE),
  setPriority: script('setPriority', SET_PRIORITY),
  setPins: script('setPins', SET_PINS),
  queued: script('queued', QUEUED),
  active: script('active', ACTIVE),
  counts: script('counts', COUNTS),
  list: script('list', LIST),
} as const;
