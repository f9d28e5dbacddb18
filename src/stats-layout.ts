// Layout of the shared stats buffer, used by the workers that write it and the main thread that
// reads it. The buffer is a BigInt64Array of fixed-size slots; each endpoint and each backend
// owns one slot, assigned by the main thread and kept across config reloads. Every field is
// updated with Atomics, so readers never need to message the workers.

/** Attempt indexes counted separately in the wins-by-index fields; concurrent_calls is capped there. */
export const MAX_ATTEMPTS = 16

/** Buckets per doubling of latency: bucket i covers latencies below 2^((i + 1) / 4) µs. */
export const BUCKETS_PER_DOUBLING = 4
/** Bucket count: the last bucket's upper bound is 2^28 µs, about 268 s; slower values land in it. */
export const HISTOGRAM_BUCKETS = 112

export const Field = {
  /** Endpoint: client requests. Backend: races run. */
  requests: 0,
  status2xx: 1,
  status4xx: 2,
  status5xx: 3,
  /** Endpoint responses that were partial (X-KrakenD-Completed: false with data). */
  partial: 4,
  attempts: 5,
  /** Attempts beyond the first of each race. */
  hedges: 6,
  losersAborted: 7,
  /** Losers that completed within the drain window, so their connection stayed reusable. */
  losersDrained: 8,
  failStatus: 9,
  failNetwork: 10,
  failTimeout: 11,
  failDecode: 12,
  latencySumMicros: 13,
  latencyCount: 14,
  winsByAttempt: 15,
  histogram: 15 + MAX_ATTEMPTS,
} as const

export const SLOT_SIZE = Field.histogram + HISTOGRAM_BUCKETS
/** Stats slots one config may use: one per endpoint plus one per backend. The loader checks it. */
export const MAX_CONFIG_STATS_SLOTS = 2048
/**
 * Slots in the buffer: room for a config at the limit plus a reload that renames every endpoint,
 * because the slots of the old plans stay in use until their last request has finished.
 */
export const DEFAULT_SLOT_CAPACITY = 2 * MAX_CONFIG_STATS_SLOTS

export function createStatsBuffer(slots = DEFAULT_SLOT_CAPACITY): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * SLOT_SIZE * BigInt64Array.BYTES_PER_ELEMENT)
}

/** Maps a latency in microseconds to its histogram bucket. */
export function bucketOf(micros: number): number {
  if (micros < 1) return 0
  const bucket = Math.floor(Math.log2(micros) * BUCKETS_PER_DOUBLING)
  return bucket >= HISTOGRAM_BUCKETS ? HISTOGRAM_BUCKETS - 1 : bucket
}

/** Upper bound in microseconds of a histogram bucket. */
export function bucketUpperMicros(bucket: number): number {
  return 2 ** ((bucket + 1) / BUCKETS_PER_DOUBLING)
}
