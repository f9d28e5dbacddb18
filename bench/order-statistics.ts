/**
 * Summaries of HDR latency histograms, and what order statistics predict for the fastest of
 * `n` independent draws from one measured distribution.
 *
 * If one call's latency has CDF F, the fastest of n independent calls has CDF 1 - (1 - F)^n,
 * so its q quantile is the single-call quantile at 1 - (1 - q)^(1/n).
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'

/** Latency summary in milliseconds. */
export interface LatencySummary {
  count: number
  min: number
  avg: number
  p50: number
  p95: number
  p99: number
  p999: number
  max: number
}

/** Percentiles (0..99.9) of the percentile curves in the charts and in latest.json. */
export const CURVE_PERCENTILES = [
  0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.7, 99.8, 99.9,
]

const PREDICTION_STEPS = 4000

export function decodeHistogram(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64)
}

/** Returns the latency at percentile `p` (0..100) in milliseconds; the histogram is in µs. */
export function percentileMs(histogram: Histogram, p: number): number {
  if (p <= 0) return histogram.minNonZeroValue / 1000
  return histogram.getValueAtPercentile(p) / 1000
}

export function summarize(histogram: Histogram): LatencySummary | undefined {
  if (histogram.totalCount === 0) return undefined
  return {
    count: histogram.totalCount,
    min: histogram.minNonZeroValue / 1000,
    avg: histogram.mean / 1000,
    p50: percentileMs(histogram, 50),
    p95: percentileMs(histogram, 95),
    p99: percentileMs(histogram, 99),
    p999: percentileMs(histogram, 99.9),
    max: histogram.maxValue / 1000,
  }
}

export function curve(histogram: Histogram): [number, number][] {
  return CURVE_PERCENTILES.map((p) => [p, percentileMs(histogram, p)])
}

/** Returns the single-call quantile that matches quantile `q` (0..1) of the fastest of `n`. */
function singleCallQuantile(q: number, n: number) {
  return 1 - (1 - q) ** (1 / n)
}

/**
 * Predicts the latency summary of the fastest of `n` independent calls from one call's measured
 * histogram. The max has no finite prediction, so it is left out.
 */
export function predictFastestOf(
  single: Histogram,
  n: number,
): Omit<LatencySummary, 'max' | 'count'> {
  const at = (q: number) => percentileMs(single, 100 * singleCallQuantile(q, n))

  // The mean is the integral of the quantile function over (0, 1), by the midpoint rule.
  let sum = 0
  for (let step = 0; step < PREDICTION_STEPS; step++) sum += at((step + 0.5) / PREDICTION_STEPS)

  return {
    min: single.minNonZeroValue / 1000,
    avg: sum / PREDICTION_STEPS,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
  }
}

export function predictedCurve(single: Histogram, n: number): [number, number][] {
  return CURVE_PERCENTILES.map((p) => [
    p,
    percentileMs(single, 100 * singleCallQuantile(p / 100, n)),
  ])
}

/** Builds a histogram in microseconds from latencies in milliseconds. */
export function histogramOf(latenciesMs: number[]): Histogram {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  })
  for (const ms of latenciesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)))
  return histogram
}
