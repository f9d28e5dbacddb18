/**
 * Throughput scenario: closed-loop load at several connection counts against a backend with no
 * added latency, for two payloads, through the direct backend, the baselines and Tailgate.
 */
import { gatewayLabel, startGateway } from './gateways.ts'
import type { GatewaySpec } from './gateways.ts'
import { runClosedLoop } from './load/closed-loop.ts'
import type { ClosedLoopResult } from './load/closed-loop.ts'
import { CONCURRENT_PATH, HUNDRED_COINS_QUERY, marketConfig, SIMPLE_PATH } from './market-config.ts'
import type { BenchOptions } from './options.ts'
import { backendStats, startBackend } from './processes.ts'
import type { Service } from './processes.ts'
import type { Progress } from './progress.ts'

export const PAYLOADS = ['small', 'markets'] as const
export type Payload = (typeof PAYLOADS)[number]

export interface ThroughputRun extends ClosedLoopResult {
  target: string
  /** Backend calls per client request: 1 for the direct backend and one-call endpoints. */
  calls: number
  workers: number | undefined
  connections: number
  backendCallsPerRequest: number
  /** CPU time of the gateway process (all threads) per 2xx response, in milliseconds. */
  gatewayCpuMsPerRequest: number | undefined
}

export interface ThroughputResult {
  payload: Payload
  /** Size of the backend's response body. */
  backendBytes: number
  runs: ThroughputRun[]
  /** Tailgate at several pool sizes, at one connection count. */
  sweep: ThroughputRun[]
  /** Peak RSS of each gateway process over all its runs of this payload. */
  peakRssMb: Record<string, number | undefined>
  /** Gateways that failed to start or to serve, with the error. */
  problems: string[]
}

interface Target {
  label: string
  url: string
  calls: number
  workers: number | undefined
  gateway: Service | undefined
  /** Set once the gateway process is found to have exited, so the target is skipped. */
  exited?: boolean
}

/** Counts the progress steps `runThroughput` prints for one payload. */
export function throughputSteps(options: BenchOptions, sweepSpecs: GatewaySpec[]) {
  return 1 + options.connections.length + (sweepSpecs.length > 0 ? 1 : 0)
}

/**
 * Starts every gateway of `specs` and `sweepSpecs` at once, then measures the targets in turn at
 * each connection count, so that a change in background load hits all targets alike instead of
 * the ones measured last. Idle gateways take memory but almost no CPU.
 */
export async function runThroughput(
  payload: Payload,
  specs: GatewaySpec[],
  sweepSpecs: GatewaySpec[],
  options: BenchOptions,
  scratchDir: string,
  progress: Progress,
): Promise<ThroughputResult> {
  progress.step(`throughput, ${payload} payload: starting the backend and gateways, warm-up`)
  const services: Service[] = []
  try {
    const backend = await startBackend(`${payload} backend`, [
      ...['--fixed-ms', '0', '--payload', payload, '--seed', String(options.seed)],
    ])
    services.push(backend)
    const directUrl = `${backend.url}${HUNDRED_COINS_QUERY}`
    const backendBytes = (await (await fetch(directUrl)).arrayBuffer()).byteLength
    const result: ThroughputResult = {
      payload,
      backendBytes,
      runs: [],
      sweep: [],
      peakRssMb: {},
      problems: [],
    }

    const direct: Target = {
      label: 'direct backend',
      url: directUrl,
      calls: 1,
      workers: undefined,
      gateway: undefined,
    }
    const main = [
      direct,
      ...(await startTargets(specs, backend, options, scratchDir, result, services)),
    ]
    const sweep = await startTargets(sweepSpecs, backend, options, scratchDir, result, services)
    // One warm-up per process: the one-call endpoint exercises the same code paths.
    for (const target of [...main, ...sweep]) {
      if (target.calls === 1) await warmUp(target.url, options)
    }

    for (const connections of options.connections) {
      progress.step(`throughput, ${payload} payload: ${connections} connections`)
      result.runs.push(...(await measureAll(main, connections, backend, options, result)))
    }
    if (sweep.length > 0) {
      progress.step(`throughput, ${payload} payload: pool sweep`)
      const connections = options.sweepConnections
      result.sweep.push(...(await measureAll(sweep, connections, backend, options, result)))
    }

    for (const target of [...main, ...sweep]) {
      if (target.gateway) result.peakRssMb[target.label] = target.gateway.peakRssMb()
    }
    return result
  } finally {
    await Promise.all(services.map((service) => service.stop()))
  }
}

/** Starts each gateway; one that fails to start is recorded in `result.problems` and skipped. */
async function startTargets(
  specs: GatewaySpec[],
  backend: Service,
  options: BenchOptions,
  scratchDir: string,
  result: ThroughputResult,
  services: Service[],
): Promise<Target[]> {
  const config = marketConfig({
    simpleHost: backend.url,
    concurrentHost: backend.url,
    urlPattern: HUNDRED_COINS_QUERY,
    concurrentCalls: options.concurrentCalls,
    timeoutMs: options.timeoutMs,
  })
  const targets: Target[] = []
  for (const spec of specs) {
    const label = gatewayLabel(spec)
    let gateway: Service
    try {
      gateway = await startGateway(spec, config, scratchDir)
    } catch (error) {
      reportProblem(result, `${label}, ${result.payload} payload: ${(error as Error).message}`)
      continue
    }
    services.push(gateway)

    const workers = spec.workers
    targets.push({ label, url: `${gateway.url}${SIMPLE_PATH}`, calls: 1, workers, gateway })
    if (spec.hedges) {
      const url = `${gateway.url}${CONCURRENT_PATH}`
      targets.push({ label, url, calls: options.concurrentCalls, workers, gateway })
    }
  }
  return targets
}

/** Measures the targets one after another; a target whose gateway has exited is skipped. */
async function measureAll(
  targets: Target[],
  connections: number,
  backend: Service,
  options: BenchOptions,
  result: ThroughputResult,
): Promise<ThroughputRun[]> {
  const runs: ThroughputRun[] = []
  for (const target of targets) {
    if (target.exited) continue
    if (target.gateway && !target.gateway.running()) {
      const output = await target.gateway.output()
      const name = `${target.label}, ${target.calls} calls, ${result.payload} payload`
      reportProblem(result, `${name}: the gateway exited during the run\n${output}`)
      target.exited = true
      continue
    }
    runs.push(await measure(target, connections, backend, options))
  }
  return runs
}

function reportProblem(result: ThroughputResult, message: string) {
  result.problems.push(message)
  process.stderr.write(`[bench] ${message}\n`)
}

/** Sends unrecorded load so that JIT compilation and connection setup are done before measuring. */
async function warmUp(url: string, options: BenchOptions) {
  if (options.warmup <= 0) return
  const connections = Math.max(...options.connections)
  await runClosedLoop('autocannon', { url, connections, durationS: options.warmup, timeoutS: 10 })
}

async function measure(
  target: Target,
  connections: number,
  backend: Service,
  options: BenchOptions,
): Promise<ThroughputRun> {
  const before = await backendStats(backend)
  const cpuBefore = target.gateway?.cpuSeconds()
  const load = await runClosedLoop(options.tool, {
    url: target.url,
    connections,
    durationS: options.throughputDuration,
    timeoutS: 10,
  })
  const cpuAfter = target.gateway?.cpuSeconds()
  const after = await backendStats(backend)

  const cpuMs =
    cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) * 1000 : undefined
  return {
    ...load,
    target: target.label,
    calls: target.calls,
    workers: target.workers,
    connections,
    backendCallsPerRequest:
      load.requests > 0 ? (after.requests - before.requests) / load.requests : 0,
    gatewayCpuMsPerRequest: cpuMs !== undefined && load.ok > 0 ? cpuMs / load.ok : undefined,
  }
}

function perRequest(value: number, requests: number) {
  return requests > 0 ? value / requests : 0
}
