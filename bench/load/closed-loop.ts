/**
 * Closed-model load: a fixed number of connections, each sending its next request as soon as the
 * previous response arrives. Each tool runs as its own process, and this module parses its output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const LOAD_TOOLS = ['autocannon', 'wrk', 'hey', 'oha', 'k6'] as const
export type LoadTool = (typeof LOAD_TOOLS)[number]

export interface ClosedLoopRun {
  url: string
  connections: number
  durationS: number
  timeoutS: number
}

/** Latencies in milliseconds; `rps` counts 2xx responses per second only. */
export interface ClosedLoopResult {
  tool: LoadTool
  /** Completed requests. */
  requests: number
  /** Requests sent, including those still in flight at the end, where the tool reports it. */
  sent?: number
  ok: number
  failed: number
  rps: number
  latencyMs: { avg: number; p50: number; p90: number; p99: number; max: number }
  /** CPU time of the load tool's process, user plus system, in seconds. */
  toolCpuSeconds: number | undefined
}

/** Returns whether `tool` can run here: autocannon ships as a devDependency, the others are found on PATH. */
export function toolAvailable(tool: LoadTool): boolean {
  return tool === 'autocannon' || Bun.which(tool) !== null
}

export async function runClosedLoop(tool: LoadTool, run: ClosedLoopRun): Promise<ClosedLoopResult> {
  const runners: Record<LoadTool, (run: ClosedLoopRun) => Promise<ClosedLoopResult>> = {
    autocannon: runAutocannon,
    wrk: runWrk,
    hey: runHey,
    oha: runOha,
    k6: runK6,
  }
  return runners[tool](run)
}

/** Runs a tool to completion; returns its stdout and the CPU seconds it used. */
async function runCommand(command: string[]) {
  const child = Bun.spawn(command, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (code !== 0) {
    throw new Error(`${command[0]} exited with code ${code}: ${stderr.slice(0, 2000)}`)
  }
  const usage = child.resourceUsage()
  const cpuSeconds = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined
  return { stdout, cpuSeconds }
}

async function runAutocannon(run: ClosedLoopRun): Promise<ClosedLoopResult> {
  const { stdout, cpuSeconds } = await runCommand([
    'node',
    'node_modules/autocannon/autocannon.js',
    ...['-c', String(run.connections), '-d', String(run.durationS), '-t', String(run.timeoutS)],
    '--json',
    run.url,
  ])
  const report = JSON.parse(stdout)
  const ok = report['2xx'] as number
  const failed = (report.non2xx as number) + (report.errors as number)
  const { latency } = report
  return {
    tool: 'autocannon',
    toolCpuSeconds: cpuSeconds,
    requests: ok + failed,
    sent: report.requests.sent,
    ok,
    failed,
    rps: ok / report.duration,
    // autocannon records whole milliseconds.
    latencyMs: {
      avg: latency.average,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      max: latency.max,
    },
  }
}

/** wrk's Lua `done` hook prints the summary as JSON; wrk's latencies are in microseconds. */
const WRK_SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"status":%d,"socket":%d,"avg":%f,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

async function runWrk(run: ClosedLoopRun): Promise<ClosedLoopResult> {
  const folder = mkdtempSync(join(tmpdir(), 'tailgate-wrk-'))
  const script = join(folder, 'summary.lua')
  writeFileSync(script, WRK_SCRIPT)
  try {
    const { stdout, cpuSeconds } = await runCommand([
      'wrk',
      ...['-t', '1', '-c', String(run.connections), '-d', `${run.durationS}s`],
      ...['--timeout', `${run.timeoutS}s`, '-s', script, run.url],
    ])
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!)
    const failed = summary.status + summary.socket
    const ok = summary.requests - summary.status
    return {
      tool: 'wrk',
      toolCpuSeconds: cpuSeconds,
      requests: summary.requests,
      ok,
      failed,
      rps: ok / (summary.durationUs / 1e6),
      latencyMs: {
        avg: summary.avg / 1000,
        p50: summary.p50 / 1000,
        p90: summary.p90 / 1000,
        p99: summary.p99 / 1000,
        max: summary.max / 1000,
      },
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

async function runHey(run: ClosedLoopRun): Promise<ClosedLoopResult> {
  const { stdout, cpuSeconds } = await runCommand([
    'hey',
    ...['-c', String(run.connections), '-z', `${run.durationS}s`, '-t', String(run.timeoutS)],
    run.url,
  ])
  // hey prints a text summary with latencies in seconds.
  const seconds = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN) * 1000
  const statuses = [...stdout.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)]
  const ok = statuses.filter(([, code]) => code!.startsWith('2')).reduce((n, m) => n + +m[2]!, 0)
  const all = statuses.reduce((n, m) => n + Number(m[2]), 0)
  const errors = [...stdout.matchAll(/^\s+\[(\d+)\]\s+Get /gm)].reduce((n, m) => n + +m[1]!, 0)
  const totalS = Number(/Total:\s+([\d.]+) secs/.exec(stdout)?.[1] ?? NaN)
  return {
    tool: 'hey',
    toolCpuSeconds: cpuSeconds,
    requests: all + errors,
    ok,
    failed: all - ok + errors,
    rps: ok / totalS,
    latencyMs: {
      avg: seconds(/Average:\s+([\d.]+) secs/),
      p50: seconds(/50%+ in ([\d.]+) secs/),
      p90: seconds(/90%+ in ([\d.]+) secs/),
      p99: seconds(/99%+ in ([\d.]+) secs/),
      max: seconds(/Slowest:\s+([\d.]+) secs/),
    },
  }
}

// NOTE: oha and k6 are not in this machine's package sources, so these two adapters were never run
// here. They follow the documented JSON output of oha (`--output-format json`) and of k6 0.57 or
// later, which runs TypeScript scripts.
async function runOha(run: ClosedLoopRun): Promise<ClosedLoopResult> {
  const { stdout, cpuSeconds } = await runCommand([
    'oha',
    ...['-c', String(run.connections), '-z', `${run.durationS}s`, '-t', `${run.timeoutS}s`],
    ...['--no-tui', '--output-format', 'json', run.url],
  ])
  const report = JSON.parse(stdout)
  const statuses = Object.entries(report.statusCodeDistribution as Record<string, number>)
  const ok = statuses.filter(([code]) => code.startsWith('2')).reduce((n, [, c]) => n + c, 0)
  const errors = Object.values((report.errorDistribution ?? {}) as Record<string, number>)
  const failed = statuses.reduce((n, [, c]) => n + c, 0) - ok + errors.reduce((n, c) => n + c, 0)
  const { summary, latencyPercentiles: p } = report
  return {
    tool: 'oha',
    toolCpuSeconds: cpuSeconds,
    requests: ok + failed,
    ok,
    failed,
    rps: ok / summary.total,
    latencyMs: {
      avg: summary.average * 1000,
      p50: p.p50 * 1000,
      p90: p.p90 * 1000,
      p99: p.p99 * 1000,
      max: summary.slowest * 1000,
    },
  }
}

async function runK6(run: ClosedLoopRun): Promise<ClosedLoopResult> {
  const folder = mkdtempSync(join(tmpdir(), 'tailgate-k6-'))
  const summaryPath = join(folder, 'summary.json')
  try {
    const { cpuSeconds } = await runCommand([
      'k6',
      'run',
      '--quiet',
      ...['--vus', String(run.connections), '--duration', `${run.durationS}s`],
      ...['--summary-trend-stats', 'avg,med,p(90),p(99),max', '--summary-export', summaryPath],
      ...['-e', `TARGET_URL=${run.url}`, '-e', `TIMEOUT=${run.timeoutS}s`],
      'bench/k6/closed-loop.ts',
    ])
    const { metrics } = JSON.parse(readFileSync(summaryPath, 'utf8'))
    const duration = metrics.http_req_duration
    const requests = metrics.http_reqs.count as number
    const failed = Math.round((metrics.http_req_failed?.value ?? 0) * requests)
    const elapsedS = requests / metrics.http_reqs.rate
    return {
      tool: 'k6',
      toolCpuSeconds: cpuSeconds,
      requests,
      ok: requests - failed,
      failed,
      rps: (requests - failed) / elapsedS,
      latencyMs: {
        avg: duration.avg,
        p50: duration.med,
        p90: duration['p(90)'],
        p99: duration['p(99)'],
        max: duration.max,
      },
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}
