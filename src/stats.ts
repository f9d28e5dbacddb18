import {
  DEFAULT_SLOT_CAPACITY,
  Field,
  HISTOGRAM_BUCKETS,
  MAX_ATTEMPTS,
  SLOT_SIZE,
  bucketUpperMicros,
  createStatsBuffer,
} from './stats-layout.ts'
import type { EndpointPlan } from './plan.ts'

/**
 * Owns the shared stats buffer on the main thread: assigns slots to endpoint and backend keys,
 * keeps them across reloads, and reads the counters that workers write.
 *
 * A key keeps its slot, and so its counters, for as long as the gateway runs, unless the slot is
 * reused: when no never-used slot is left, a new key takes the slot of a key that no loaded plan
 * uses any more, and that slot's counters start again at zero.
 */
export class StatsRegistry {
  readonly buffer: SharedArrayBuffer
  private readonly view: BigInt64Array
  private readonly slots = new Map<string, number>()
  private readonly capacity: number
  /** Slots below this index have been assigned at least once. */
  private assigned = 0

  constructor(capacity = DEFAULT_SLOT_CAPACITY) {
    this.capacity = capacity
    this.buffer = createStatsBuffer(capacity)
    this.view = new BigInt64Array(this.buffer)
  }

  /**
   * Assigns a slot to each key and returns the slots by key. `inUse` lists the slots of plans
   * still loaded, which are never reused. Throws RangeError, with nothing assigned, when the new
   * keys do not fit.
   */
  assign(keys: readonly string[], inUse: ReadonlySet<number> = new Set()): Map<string, number> {
    const requested = new Set(keys)
    const added = [...requested].filter((key) => !this.slots.has(key))
    const neverUsed = this.capacity - this.assigned
    const reusable =
      added.length <= neverUsed
        ? []
        : [...this.slots].filter(([key, slot]) => !requested.has(key) && !inUse.has(slot))
    if (added.length > neverUsed + reusable.length) {
      throw new RangeError(
        `stats capacity of ${this.capacity} slots is exhausted: ${added.length} new endpoints and backends need a slot, but only ${neverUsed + reusable.length} are free while the plans in use hold ${inUse.size}; reload again once the requests of earlier config versions have finished, or restart the gateway`,
      )
    }

    for (const key of added) {
      if (this.assigned < this.capacity) {
        this.slots.set(key, this.assigned++)
        continue
      }
      const [oldKey, slot] = reusable.pop()!
      this.slots.delete(oldKey)
      this.clear(slot)
      this.slots.set(key, slot)
    }
    return new Map(keys.map((key) => [key, this.slots.get(key)!]))
  }

  // NOTE: a losing attempt of a retired plan generation can still finish after its slot was
  // reused, so the new key may start with that one count.
  private clear(slot: number): void {
    for (let field = 0; field < SLOT_SIZE; field++) {
      Atomics.store(this.view, slot * SLOT_SIZE + field, 0n)
    }
  }

  read(slot: number, field: number): number {
    return Number(Atomics.load(this.view, slot * SLOT_SIZE + field))
  }

  /** Builds the `/__stats` document for the endpoints of the current plans. */
  snapshot(endpoints: readonly EndpointPlan[]): StatsSnapshot {
    return {
      endpoints: endpoints.map((endpoint) => ({
        endpoint: endpoint.path,
        method: endpoint.method,
        concurrent_calls: endpoint.concurrentCalls,
        requests: this.read(endpoint.statsSlot, Field.requests),
        responses: {
          '2xx': this.read(endpoint.statsSlot, Field.status2xx),
          '4xx': this.read(endpoint.statsSlot, Field.status4xx),
          '5xx': this.read(endpoint.statsSlot, Field.status5xx),
        },
        partial: this.read(endpoint.statsSlot, Field.partial),
        latency_ms: this.latency(endpoint.statsSlot),
        backends: endpoint.backends.map((backend) =>
          this.backendStats(backend.statsSlot, backend.hosts, endpoint.concurrentCalls),
        ),
      })),
    }
  }

  // Wins has one entry per attempt index up to concurrent_calls, and further entries only where
  // an older config with more calls left counts (stats survive reloads).
  private backendStats(slot: number, hosts: string[], calls: number): BackendStats {
    const wins: number[] = []
    for (let index = 0; index < MAX_ATTEMPTS; index++) {
      const count = this.read(slot, Field.winsByAttempt + index)
      if (count > 0 || index < calls) wins[index] = count
    }
    return {
      hosts,
      races: this.read(slot, Field.requests),
      attempts: this.read(slot, Field.attempts),
      hedges: this.read(slot, Field.hedges),
      wins_by_attempt: Array.from(wins, (count) => count ?? 0),
      losers_aborted: this.read(slot, Field.losersAborted),
      losers_drained: this.read(slot, Field.losersDrained),
      failures: {
        status: this.read(slot, Field.failStatus),
        network: this.read(slot, Field.failNetwork),
        timeout: this.read(slot, Field.failTimeout),
        decode: this.read(slot, Field.failDecode),
      },
      winner_latency_ms: this.latency(slot),
    }
  }

  /** Histogram counts of a slot, bucket by bucket. */
  histogram(slot: number): number[] {
    const counts: number[] = []
    for (let bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket++) {
      counts.push(this.read(slot, Field.histogram + bucket))
    }
    return counts
  }

  private latency(slot: number): LatencySummary {
    const count = this.read(slot, Field.latencyCount)
    const counts = this.histogram(slot)
    const sumMicros = this.read(slot, Field.latencySumMicros)
    return {
      count,
      avg: count ? round(sumMicros / count / 1000) : null,
      p50: percentile(counts, 0.5),
      p95: percentile(counts, 0.95),
      p99: percentile(counts, 0.99),
    }
  }
}

/**
 * Estimates a percentile in milliseconds from histogram counts: the upper bound of the bucket
 * that contains it, so the estimate is at most one bucket width (19%) above the true value.
 */
export function percentile(counts: number[], quantile: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total === 0) return null
  const rank = Math.ceil(total * quantile)
  let seen = 0
  for (let bucket = 0; bucket < counts.length; bucket++) {
    seen += counts[bucket]!
    if (seen >= rank) return round(bucketUpperMicros(bucket) / 1000)
  }
  return null
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

export interface LatencySummary {
  count: number
  avg: number | null
  p50: number | null
  p95: number | null
  p99: number | null
}

export interface BackendStats {
  hosts: string[]
  races: number
  attempts: number
  hedges: number
  wins_by_attempt: number[]
  losers_aborted: number
  losers_drained: number
  failures: { status: number; network: number; timeout: number; decode: number }
  winner_latency_ms: LatencySummary
}

export interface StatsSnapshot {
  endpoints: {
    endpoint: string
    method: string
    concurrent_calls: number
    requests: number
    responses: { '2xx': number; '4xx': number; '5xx': number }
    partial: number
    latency_ms: LatencySummary
    backends: BackendStats[]
  }[]
}
