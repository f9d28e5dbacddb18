/** The shape of latest.json, the project's targets, and the checks that make a run valid. */
import type { LatencyCaseResult } from './latency-scenario.ts'
import type { BenchOptions } from './options.ts'
import type { ThroughputResult, ThroughputRun } from './throughput-scenario.ts'

export interface MachineInfo {
  cpuCount: number
  cpuModel: string
  memoryGb: number
  os: string
  bun: string
  node: string | undefined
  loadTool: string
  commit: string | undefined
  /** 1-minute load average when the run started and when it ended, from os.loadavg(). */
  loadAverage: { start: number; end: number }
  note: string
}

export interface TargetCheck {
  name: string
  goal: string
  measured: string
  /** undefined when the run did not measure what the target needs. */
  pass: boolean | undefined
}

export interface BenchResults {
  schemaVersion: 1
  startedAt: string
  elapsedSeconds: number
  command: string
  machine: MachineInfo
  settings: BenchOptions
  tailgateAvailable: boolean
  latency: LatencyCaseResult[]
  throughput: ThroughputResult[]
  targets: TargetCheck[]
  problems: string[]
}

const RSS_LIMIT_MB = 150

/** Maximum 2xx requests per second of the matching runs over all connection counts. */
export function maxRps(runs: ThroughputRun[], target: string, calls: number) {
  const matching = runs.filter((run) => run.target === target && run.calls === calls)
  return matching.length ? Math.max(...matching.map((run) => run.rps)) : undefined
}

function ratioCheck(
  name: string,
  goal: string,
  numerator: number | undefined,
  denominator: number | undefined,
  minRatio: number,
): TargetCheck {
  if (numerator === undefined || denominator === undefined || denominator === 0) {
    return { name, goal, measured: 'not measured', pass: undefined }
  }
  const ratio = numerator / denominator
  const measured = `${ratio.toFixed(2)}× (${Math.round(numerator)} vs ${Math.round(denominator)} req/s)`
  return { name, goal, measured, pass: ratio >= minRatio }
}

/** Evaluates the project's performance targets; they inform and never fail the run. */
export function evaluateTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const { workers, concurrentCalls: calls } = results.settings
  const tailgate = `Tailgate ${workers}w`
  const checks: TargetCheck[] = []

  for (const payload of results.throughput) {
    const one = maxRps(payload.runs, tailgate, 1)
    const suffix = `${payload.payload} payload`
    checks.push(
      ratioCheck(
        `1 call vs fast-gateway, ${suffix}`,
        '≥ 1.5×',
        one,
        maxRps(payload.runs, 'fast-gateway (Node)', 1),
        1.5,
      ),
      ratioCheck(
        `1 call vs minimal Bun proxy, ${suffix}`,
        '≥ 0.9×',
        one,
        maxRps(payload.runs, 'Bun proxy', 1),
        0.9,
      ),
      ratioCheck(
        `${calls} calls vs Tailgate 1 call, ${suffix}`,
        '≥ 0.45×',
        maxRps(payload.runs, tailgate, calls),
        one,
        0.45,
      ),
    )
  }
  checks.push(predictionCheck(results, tailgate), rssCheck(results, tailgate))
  return checks
}

function predictionCheck(results: Omit<BenchResults, 'targets'>, tailgate: string): TargetCheck {
  const calls = results.settings.concurrentCalls
  const name = `${calls}-call p99 vs order-statistics prediction (independent copies)`
  const independent = results.latency.find((entry) => entry.id === 'independent')
  const gateway = independent?.gateways.find((entry) => entry.gateway === tailgate)
  const measured = gateway?.concurrent.summary?.p99
  const predicted = gateway?.predicted?.p99
  if (measured === undefined || predicted === undefined) {
    return { name, goal: '≤ 1.15×', measured: 'not measured', pass: undefined }
  }
  const ratio = measured / predicted
  return {
    name,
    goal: '≤ 1.15×',
    measured: `${ratio.toFixed(2)}× (${measured.toFixed(0)} vs ${predicted.toFixed(0)} ms)`,
    pass: ratio <= 1.15,
  }
}

function rssCheck(results: Omit<BenchResults, 'targets'>, tailgate: string): TargetCheck {
  const name = `peak RSS, ${tailgate} up to 256 connections`
  const goal = `< ${RSS_LIMIT_MB} MB`
  const measuredAt256 = results.settings.workers === 2 && results.settings.connections.includes(256)
  const peaks = results.throughput.map((payload) => payload.peakRssMb[tailgate])
  const peak = Math.max(...peaks.filter((value): value is number => value !== undefined))
  if (!measuredAt256 || !Number.isFinite(peak)) {
    return {
      name,
      goal,
      measured: 'not measured (needs --workers 2 and 256 connections)',
      pass: undefined,
    }
  }
  return { name, goal, measured: `${peak.toFixed(0)} MB`, pass: peak < RSS_LIMIT_MB }
}

/** Returns what makes the results invalid: missing figures, failed gateways, failed requests. */
export function validateResults(results: BenchResults): string[] {
  const invalid = [...results.problems]
  for (const entry of results.latency) {
    for (const gateway of entry.gateways) {
      for (const endpoint of [gateway.simple, gateway.concurrent]) {
        if (!endpoint.summary)
          invalid.push(`${entry.id}, ${gateway.gateway}: no successful request`)
        const expectedSuccess = entry.failureRate > 0 ? 0.5 : 0.99
        if (endpoint.successRate < expectedSuccess) {
          const rate = (endpoint.successRate * 100).toFixed(1)
          invalid.push(
            `${entry.id}, ${gateway.gateway}, ${endpoint.calls} calls: ${rate}% succeeded`,
          )
        }
      }
    }
  }
  for (const payload of results.throughput) {
    for (const run of [...payload.runs, ...payload.sweep]) {
      if (!(run.rps > 0)) invalid.push(`${payload.payload}, ${run.target}: no 2xx response`)
      if (run.failed > run.requests * 0.01) {
        invalid.push(`${payload.payload}, ${run.target}, ${run.calls} calls: ${run.failed} failed`)
      }
    }
  }
  return invalid
}
