import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api'
import { hrTime } from '@opentelemetry/core'
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics'
import { emptyResource } from '@opentelemetry/resources'
import { BUCKETS_PER_DOUBLING, Field, HISTOGRAM_BUCKETS } from '../stats-layout.ts'
import type { StatsRegistry } from '../stats.ts'
import packageJson from '../../package.json'

// The metrics API has no asynchronous histogram, so the latency histograms of the shared stats
// buffer are read by a MetricProducer at collection time, like the observable counters, and the
// workers never call a metrics API. The buffer has 4 buckets per doubling of latency. They are
// summed into one bucket per doubling from 2^8 to 2^25 microseconds (0.256 ms to 33.5 s).
//
// NOTE: a buffer bucket excludes its upper bound while a Prometheus `le` bucket includes it, so a
// latency of exactly 2^k microseconds is counted one bucket higher than `le` says.

const FIRST_DOUBLING = 8
const LAST_DOUBLING = 25
const BOUNDARIES_SECONDS = Array.from(
  { length: LAST_DOUBLING - FIRST_DOUBLING + 1 },
  (_, index) => 2 ** (FIRST_DOUBLING + index) / 1e6,
)

/** One histogram series: which stats slot it reads and the attributes it carries. */
export interface HistogramSeries {
  slot: number
  attributes: Attributes
}

export interface LatencyHistogram {
  name: string
  description: string
  /** Lists the series to report at each collection. */
  series(): HistogramSeries[]
}

/** A MetricProducer that reports stats-buffer latency histograms in seconds. */
export class LatencyHistogramProducer implements MetricProducer {
  private readonly startTime: HrTime = hrTime()

  constructor(
    private readonly stats: StatsRegistry,
    private readonly histograms: LatencyHistogram[],
  ) {}

  async collect(): Promise<CollectionResult> {
    const endTime = hrTime()
    const metrics = this.histograms.map((histogram): HistogramMetricData => ({
      descriptor: {
        name: histogram.name,
        description: histogram.description,
        unit: 's',
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: histogram.series().map((series) => this.dataPoint(series, endTime)),
    }))
    return {
      // The reader replaces this resource with the meter provider's.
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [{ scope: { name: 'tailgate', version: packageJson.version }, metrics }],
      },
      errors: [],
    }
  }

  private dataPoint(series: HistogramSeries, endTime: HrTime): DataPoint<Histogram> {
    const value = toHistogram(
      this.stats.histogram(series.slot),
      this.stats.read(series.slot, Field.latencySumMicros),
    )
    return { startTime: this.startTime, endTime, attributes: series.attributes, value }
  }
}

/**
 * Sums buffer bucket counts into one bucket per doubling. The count is the sum of the buckets
 * read, so that it matches them even while workers write.
 */
export function toHistogram(bufferCounts: number[], sumMicros: number): Histogram {
  const counts = new Array<number>(BOUNDARIES_SECONDS.length + 1).fill(0)
  let count = 0
  for (let bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket++) {
    const bufferCount = bufferCounts[bucket] ?? 0
    if (bufferCount === 0) continue
    // Buffer bucket b ends at 2^((b + 1) / 4) µs, so it lies below 2^k µs when b < 4k.
    const doubling = Math.ceil((bucket + 1) / BUCKETS_PER_DOUBLING)
    const index = Math.min(Math.max(doubling - FIRST_DOUBLING, 0), BOUNDARIES_SECONDS.length)
    counts[index]! += bufferCount
    count += bufferCount
  }
  return {
    buckets: { boundaries: BOUNDARIES_SECONDS, counts },
    sum: sumMicros / 1e6,
    count,
  }
}
