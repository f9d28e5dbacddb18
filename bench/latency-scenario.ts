/**
 * Latency scenarios: `/market/simple` (one call) and `/market/concurrent` (N calls) of each
 * hedging gateway, loaded together by one open-loop generator at a fixed arrival rate, against
 * demo backends with a long-tailed latency. Each endpoint gets its own backend process, so the
 * backend calls per client request can be counted.
 */
import { DEFAULT_LATENCY, LatencyModel } from '../src/demo/latency-model.ts'
import { gatewayLabel, startGateway } from './gateways.ts'
import type { GatewaySpec } from './gateways.ts'
import type { OpenLoopPlan, OpenLoopTargetResult } from './load/open-loop.ts'
import { CONCURRENT_PATH, marketConfig, REQUEST_KEY_HEADER, SIMPLE_PATH } from './market-config.ts'
import { TWO_COINS_QUERY } from './market-config.ts'
import type { BenchOptions } from './options.ts'
import {
  curve,
  decodeHistogram,
  histogramOf,
  predictedCurve,
  predictFastestOf,
  summarize,
} from './order-statistics.ts'
import type { LatencySummary } from './order-statistics.ts'
import { backendStats, startBackend } from './processes.ts'
import type { Service } from './processes.ts'
import type { Progress } from './progress.ts'

export interface LatencyCase {
  id: 'independent' | 'correlated' | 'failures'
  title: string
  correlation: number
  failureRate: number
}

export interface EndpointLatency {
  calls: number
  /** Requests sent in the recorded window (after the warm-up). */
  sent: number
  ok: number
  failed: Record<string, number>
  successRate: number
  summary: LatencySummary | undefined
  curve: [number, number][]
  /** HDR histogram of 2xx latencies in microseconds, compressed and base64-encoded. */
  histogram: string
  backendCallsPerRequest: number
  /** Backend calls whose client went away before the backend responded, per client request. */
  abortedPerRequest: number
  maxSendLagMs: number
}

export interface GatewayLatency {
  gateway: string
  simple: EndpointLatency
  concurrent: EndpointLatency
  /** Fastest of N independent draws of the measured one-call distribution. */
  predicted: Omit<LatencySummary, 'max' | 'count'> | undefined
  predictedCurve: [number, number][]
  peakRssMb: number | undefined
}

export interface LatencyCaseResult extends LatencyCase {
  rate: number
  durationS: number
  gateways: GatewayLatency[]
  /** The backend latency model alone, without network or gateway, simulated 20,000 times. */
  model: { single: LatencySummary; fastest: LatencySummary }
}

export function latencyCases(options: BenchOptions): LatencyCase[] {
  const cases: LatencyCase[] = []
  if (options.scenarios.includes('latency')) {
    cases.push({ id: 'independent', title: 'Independent copies', correlation: 0, failureRate: 0 })
    cases.push({
      id: 'correlated',
      title: `Correlated copies (correlation ${options.correlation})`,
      correlation: options.correlation,
      failureRate: 0,
    })
  }
  if (options.scenarios.includes('failures')) {
    cases.push({
      id: 'failures',
      title: `${options.failureRate * 100}% of backend calls fail`,
      correlation: 0,
      failureRate: options.failureRate,
    })
  }
  return cases
}

interface RunningGateway {
  spec: GatewaySpec
  gateway: Service
  simpleBackend: Service
  concurrentBackend: Service
}

export async function runLatencyCase(
  latencyCase: LatencyCase,
  specs: GatewaySpec[],
  options: BenchOptions,
  scratchDir: string,
  progress: Progress,
  problems: string[],
): Promise<LatencyCaseResult> {
  const services: Service[] = []
  try {
    const running: RunningGateway[] = []
    for (const spec of specs) {
      try {
        running.push(await startHedgingGateway(spec, latencyCase, options, scratchDir, services))
      } catch (error) {
        problems.push(`${latencyCase.id}, ${gatewayLabel(spec)}: ${(error as Error).message}`)
      }
    }
    if (running.length === 0) throw new Error(`${latencyCase.id}: no gateway started`)

    const before = await Promise.all(running.map(backendCounts))
    const results = await runOpenLoop(running, latencyCase, options, progress)
    const after = await Promise.all(running.map(backendCounts))

    const gateways = running.map((entry, i) =>
      gatewayLatency(entry, results, i, before[i]!, after[i]!, options),
    )
    return {
      ...latencyCase,
      rate: options.rate,
      durationS: options.latencyDuration,
      gateways,
      model: simulateModel(latencyCase, options),
    }
  } finally {
    await Promise.all(services.map((service) => service.stop()))
  }
}

function backendArgs(latencyCase: LatencyCase, options: BenchOptions, seed: number) {
  return [
    ...['--median-ms', String(options.medianMs), '--sigma', String(options.sigma)],
    ...['--min-ms', String(options.minMs), '--correlation', String(latencyCase.correlation)],
    ...['--failure-rate', String(latencyCase.failureRate), '--seed', String(seed)],
  ]
}

async function startHedgingGateway(
  spec: GatewaySpec,
  latencyCase: LatencyCase,
  options: BenchOptions,
  scratchDir: string,
  services: Service[],
): Promise<RunningGateway> {
  const label = gatewayLabel(spec)
  const args = backendArgs(latencyCase, options, options.seed)
  const simpleBackend = await startBackend(`${label} simple backend`, args)
  services.push(simpleBackend)
  const argsConcurrent = backendArgs(latencyCase, options, options.seed + 1)
  const concurrentBackend = await startBackend(`${label} concurrent backend`, argsConcurrent)
  services.push(concurrentBackend)

  const config = marketConfig({
    simpleHost: simpleBackend.url,
    concurrentHost: concurrentBackend.url,
    urlPattern: TWO_COINS_QUERY,
    concurrentCalls: options.concurrentCalls,
    timeoutMs: options.timeoutMs,
  })
  const gateway = await startGateway(spec, config, scratchDir)
  services.push(gateway)
  return { spec, gateway, simpleBackend, concurrentBackend }
}

async function backendCounts(entry: RunningGateway) {
  return Promise.all([backendStats(entry.simpleBackend), backendStats(entry.concurrentBackend)])
}

async function runOpenLoop(
  running: RunningGateway[],
  latencyCase: LatencyCase,
  options: BenchOptions,
  progress: Progress,
): Promise<OpenLoopTargetResult[]> {
  const plan: OpenLoopPlan = {
    targets: running.flatMap((entry) => [
      { name: `${gatewayLabel(entry.spec)} simple`, url: `${entry.gateway.url}${SIMPLE_PATH}` },
      {
        name: `${gatewayLabel(entry.spec)} concurrent`,
        url: `${entry.gateway.url}${CONCURRENT_PATH}`,
      },
    ]),
    rate: options.rate,
    durationMs: options.latencyDuration * 1000,
    warmupMs: options.warmup * 1000,
    timeoutMs: options.timeoutMs + 2000,
    keyHeader: REQUEST_KEY_HEADER,
    keyPrefix: `${latencyCase.id}-${Date.now()}`,
  }
  const child = Bun.spawn([process.execPath, 'bench/load/open-loop.ts', JSON.stringify(plan)], {
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
  const totalS = options.latencyDuration + options.warmup
  const code = await progress.during(child.exited, `${latencyCase.id} open loop`, totalS)
  const [stdout, stderr] = await output
  if (code !== 0) throw new Error(`open-loop generator exited with code ${code}: ${stderr}`)
  return JSON.parse(stdout) as OpenLoopTargetResult[]
}

type Counts = Awaited<ReturnType<typeof backendCounts>>

function gatewayLatency(
  entry: RunningGateway,
  results: OpenLoopTargetResult[],
  index: number,
  before: Counts,
  after: Counts,
  options: BenchOptions,
): GatewayLatency {
  const sentTotal = (result: OpenLoopTargetResult) => result.sentTotal
  const simpleResult = results[2 * index]!
  const concurrentResult = results[2 * index + 1]!
  const simpleDelta = deltaPerRequest(before[0], after[0], sentTotal(simpleResult))
  const concurrentDelta = deltaPerRequest(before[1], after[1], sentTotal(concurrentResult))
  const simple = endpointLatency(simpleResult, 1, simpleDelta)
  const concurrent = endpointLatency(concurrentResult, options.concurrentCalls, concurrentDelta)

  const single = decodeHistogram(simpleResult.histogram)
  const hasData = single.totalCount > 0
  return {
    gateway: gatewayLabel(entry.spec),
    simple,
    concurrent,
    predicted: hasData ? predictFastestOf(single, options.concurrentCalls) : undefined,
    predictedCurve: hasData ? predictedCurve(single, options.concurrentCalls) : [],
    peakRssMb: entry.gateway.peakRssMb(),
  }
}

type BackendCounters = { requests: number; aborted: number }

function deltaPerRequest(before: BackendCounters, after: BackendCounters, clientRequests: number) {
  const per = (value: number) => (clientRequests > 0 ? value / clientRequests : 0)
  return {
    calls: per(after.requests - before.requests),
    aborted: per(after.aborted - before.aborted),
  }
}

function endpointLatency(
  result: OpenLoopTargetResult,
  calls: number,
  delta: { calls: number; aborted: number },
): EndpointLatency {
  const histogram = decodeHistogram(result.histogram)
  return {
    calls,
    sent: result.sent,
    ok: result.ok,
    failed: result.failed,
    successRate: result.sent > 0 ? result.ok / result.sent : 0,
    summary: summarize(histogram),
    curve: histogram.totalCount > 0 ? curve(histogram) : [],
    histogram: result.histogram,
    backendCallsPerRequest: delta.calls,
    abortedPerRequest: delta.aborted,
    maxSendLagMs: result.maxSendLagMs,
  }
}

const MODEL_REQUESTS = 20_000

/** Simulates the backend latency model alone: one call, and the fastest of N copies. */
function simulateModel(latencyCase: LatencyCase, options: BenchOptions) {
  const model = new LatencyModel({
    ...DEFAULT_LATENCY,
    medianMs: options.medianMs,
    sigma: options.sigma,
    minMs: options.minMs,
    correlation: latencyCase.correlation,
    seed: options.seed,
  })
  const single: number[] = []
  const fastest: number[] = []
  for (let i = 0; i < MODEL_REQUESTS; i++) {
    single.push(model.draw(`single-${i}`))
    const copies = Array.from({ length: options.concurrentCalls }, () => model.draw(`copies-${i}`))
    fastest.push(Math.min(...copies))
  }
  return { single: summarize(histogramOf(single))!, fastest: summarize(histogramOf(fastest))! }
}
