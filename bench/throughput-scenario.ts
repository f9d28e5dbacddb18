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
}

/** Counts the progress steps `runThroughput` prints for one payload. */
export function throughputSteps(specs: GatewaySpec[], sweepSpecs: GatewaySpec[]) {
  return 1 + specs.length + sweepSpecs.length
}

export async function runThroughput(
  payload: Payload,
  specs: GatewaySpec[],
  sweepSpecs: GatewaySpec[],
  options: BenchOptions,
  scratchDir: string,
  progress: Progress,
): Promise<ThroughputResult> {
  progress.step(`throughput, ${payload} payload: direct backend`)
  const backend = await startBackend(`${payload} backend`, [
    ...['--fixed-ms', '0', '--payload', payload, '--seed', String(options.seed)],
  ])
  try {
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

    const direct = { label: 'direct backend', url: directUrl, calls: 1, workers: undefined }
    await warmUp(direct.url, options)
    for (const connections of options.connections) {
      result.runs.push(
        await measure({ ...direct, gateway: undefined }, connections, backend, options),
      )
    }

    for (const spec of specs) {
      progress.step(`throughput, ${payload} payload: ${gatewayLabel(spec)}`)
      const runs = await tryGateway(spec, options.connections, backend, options, scratchDir, result)
      result.runs.push(...runs)
    }
    for (const spec of sweepSpecs) {
      progress.step(`throughput, ${payload} payload: pool sweep, ${gatewayLabel(spec)}`)
      const connections = [options.sweepConnections]
      result.sweep.push(
        ...(await tryGateway(spec, connections, backend, options, scratchDir, result)),
      )
    }
    return result
  } finally {
    await backend.stop()
  }
}

/** Runs `runGateway`; on an error, records it in `result.problems` and returns no runs. */
async function tryGateway(...args: Parameters<typeof runGateway>): Promise<ThroughputRun[]> {
  try {
    return await runGateway(...args)
  } catch (error) {
    const message = `${gatewayLabel(args[0])}, ${args[5].payload} payload: ${(error as Error).message}`
    args[5].problems.push(message)
    process.stderr.write(`[bench] ${message}\n`)
    return []
  }
}

async function runGateway(
  spec: GatewaySpec,
  connectionCounts: number[],
  backend: Service,
  options: BenchOptions,
  scratchDir: string,
  result: ThroughputResult,
): Promise<ThroughputRun[]> {
  const config = marketConfig({
    simpleHost: backend.url,
    concurrentHost: backend.url,
    urlPattern: HUNDRED_COINS_QUERY,
    concurrentCalls: options.concurrentCalls,
    timeoutMs: options.timeoutMs,
  })
  const gateway = await startGateway(spec, config, scratchDir)
  const label = gatewayLabel(spec)
  try {
    const targets: Target[] = [
      { label, url: `${gateway.url}${SIMPLE_PATH}`, calls: 1, workers: spec.workers, gateway },
    ]
    if (spec.hedges) {
      const url = `${gateway.url}${CONCURRENT_PATH}`
      targets.push({ label, url, calls: options.concurrentCalls, workers: spec.workers, gateway })
    }

    await warmUp(targets[0]!.url, options)
    const runs: ThroughputRun[] = []
    for (const target of targets) {
      for (const connections of connectionCounts) {
        runs.push(await measure(target, connections, backend, options))
      }
    }
    result.peakRssMb[label] = Math.max(result.peakRssMb[label] ?? 0, gateway.peakRssMb() ?? 0)
    return runs
  } finally {
    await gateway.stop()
  }
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
