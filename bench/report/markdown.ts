/** Renders latest.md from the results. */
import type { GatewayLatency, LatencyCaseResult } from '../latency-scenario.ts'
import type { LatencySummary } from '../order-statistics.ts'
import type { BenchResults } from '../results.ts'
import type { ThroughputResult, ThroughputRun } from '../throughput-scenario.ts'

type Row = (string | number | undefined)[]

function table(header: string[], rows: Row[]): string {
  const cell = (value: string | number | undefined) => (value === undefined ? '–' : String(value))
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n')
}

const ms = (value: number | undefined) =>
  value === undefined ? undefined : value.toFixed(value < 10 ? 1 : 0)
const ratio = (value: number | undefined) => (value === undefined ? undefined : value.toFixed(2))
const percent = (value: number) => `${(value * 100).toFixed(value === 1 ? 0 : 2)}%`

const STAT_HEADER = ['min', 'avg', 'p50', 'p95', 'p99', 'p99.9', 'max']
type Stats = Partial<Omit<LatencySummary, 'count'>>

function statCells(stats: Stats | undefined): Row {
  if (!stats) return STAT_HEADER.map(() => undefined)
  return [stats.min, stats.avg, stats.p50, stats.p95, stats.p99, stats.p999, stats.max].map(ms)
}

function ratioCells(numerator: Stats | undefined, denominator: Stats | undefined): Row {
  const keys = ['min', 'avg', 'p50', 'p95', 'p99', 'p999', 'max'] as const
  return keys.map((key) => {
    const a = numerator?.[key]
    const b = denominator?.[key]
    return a !== undefined && b ? ratio(a / b) : undefined
  })
}

export function renderMarkdown(results: BenchResults): string {
  const sections = [
    header(results),
    targetsSection(results),
    latencySection(results),
    throughputSection(results),
    failuresSection(results),
    memorySection(results),
    problemsSection(results),
  ]
  return `${sections.filter(Boolean).join('\n\n')}\n`
}

function header(results: BenchResults) {
  const { machine, settings } = results
  const minutes = Math.floor(results.elapsedSeconds / 60)
  const seconds = Math.round(results.elapsedSeconds % 60)
  return [
    '# Tailgate bench results',
    '',
    `Written by \`${results.command}\` on ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC ` +
      `in ${minutes} min ${seconds} s${settings.quick ? ' (quick run: too short for stable figures)' : ''}, ` +
      `at commit ${machine.commit ?? 'unknown'}.`,
    '',
    `Machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGb.toFixed(0)} GB, ${machine.os}; ` +
      `Bun ${machine.bun}, Node.js ${machine.node ?? 'not found'}; closed-loop load by ${machine.loadTool}.`,
    '',
    `**${machine.note}** The 1-minute load average was ${machine.loadAverage.start.toFixed(1)} ` +
      `when the run started and ${machine.loadAverage.end.toFixed(1)} when it ended; a value above ` +
      `${machine.cpuCount} means other work was also waiting for these cores.`,
    results.tailgateAvailable
      ? ''
      : `\n**Tailgate was not measured: \`src/cli.ts\` does not exist in this checkout.**`,
  ].join('\n')
}

function verdict(pass: boolean | undefined) {
  if (pass === undefined) return 'not measured'
  return pass ? 'pass' : 'FAIL'
}

function targetsSection(results: BenchResults) {
  const rows = results.targets.map((check) => [
    check.name,
    check.goal,
    check.measured,
    verdict(check.pass),
  ])
  return [
    '## Targets',
    '',
    'Throughput ratios compare the max req/s over the connection counts, per payload.',
    '',
    table(['target', 'goal', 'measured', 'result'], rows),
  ].join('\n')
}

function latencySection(results: BenchResults) {
  const cases = results.latency.filter((entry) => entry.id !== 'failures')
  if (cases.length === 0) return ''
  const { settings } = results
  const parts = [
    `## 1. Latency of 1 vs ${settings.concurrentCalls} calls`,
    '',
    `Backend latency per call: ${settings.minMs} ms + log-normal (median ${settings.medianMs} ms, ` +
      `sigma ${settings.sigma}). With correlation c, a call waits floor + c × shared + (1 − c) × own, ` +
      'where the shared draw is the same for all copies of one client request. ' +
      `Open-loop load: ${settings.rate} req/s to each endpoint for ${settings.latencyDuration} s ` +
      `after ${settings.warmup} s of warm-up, all endpoints interleaved in one generator; ` +
      'latency counts from the scheduled send time. Milliseconds; HDR histograms (3 significant digits).',
    '',
    '"Predicted" applies order statistics to the measured one-call distribution: the fastest of ' +
      `${settings.concurrentCalls} independent draws. "Backend model" rows simulate the latency model ` +
      "alone (no network, no gateway), with the case's correlation.",
  ]
  for (const entry of cases) parts.push('', latencyCaseTables(entry, settings.concurrentCalls))
  parts.push('', '![Latency percentiles](latency-percentiles.svg)')
  return parts.join('\n')
}

function latencyCaseTables(entry: LatencyCaseResult, calls: number) {
  const parts = [`### ${entry.title}`]
  for (const gateway of entry.gateways) {
    parts.push('', `**${gateway.gateway}**`, '', latencyTable(gateway, entry, calls))
  }
  return parts.join('\n')
}

/** Empty cells for the backend-call, abort and request-count columns. */
const NO_COUNTS = [undefined, undefined, undefined]

function latencyTable(gateway: GatewayLatency, entry: LatencyCaseResult, calls: number) {
  const { simple, concurrent } = gateway
  const rows: Row[] = [
    [
      '1 call',
      ...statCells(simple.summary),
      ratio(simple.backendCallsPerRequest),
      ratio(simple.abortedPerRequest),
      simple.summary?.count,
    ],
    [
      `${calls} calls`,
      ...statCells(concurrent.summary),
      ratio(concurrent.backendCallsPerRequest),
      ratio(concurrent.abortedPerRequest),
      concurrent.summary?.count,
    ],
    [`${calls} calls, predicted`, ...statCells(gateway.predicted), ...NO_COUNTS],
    [`${calls} calls ÷ 1 call`, ...ratioCells(concurrent.summary, simple.summary), ...NO_COUNTS],
    [
      `${calls} calls ÷ predicted`,
      ...ratioCells(concurrent.summary, gateway.predicted),
      ...NO_COUNTS,
    ],
    ['backend model, 1 call', ...statCells(entry.model.single), ...NO_COUNTS],
    [`backend model, fastest of ${calls}`, ...statCells(entry.model.fastest), ...NO_COUNTS],
  ]
  return table(
    ['', ...STAT_HEADER, 'backend calls / request', 'aborted / request', 'requests'],
    rows,
  )
}

function failuresSection(results: BenchResults) {
  const entry = results.latency.find((item) => item.id === 'failures')
  if (!entry) return ''
  const calls = results.settings.concurrentCalls
  const rows: Row[] = entry.gateways.flatMap((gateway) =>
    [gateway.simple, gateway.concurrent].map((endpoint) => [
      gateway.gateway,
      endpoint.calls,
      percent(endpoint.successRate),
      percent(1 - entry.failureRate ** endpoint.calls),
      ...statCells(endpoint.summary).slice(1, 6),
      ratio(endpoint.backendCallsPerRequest),
    ]),
  )
  return [
    `## 3. Failures: ${entry.title}`,
    '',
    `Same backend and load as the independent latency case, but each backend call fails with 500 ` +
      `with probability ${entry.failureRate}, independently. "Expected" is 1 − rate^calls. ` +
      `Latency of successful requests only, in milliseconds.`,
    '',
    table(
      [
        'gateway',
        'calls',
        'success',
        'expected',
        'avg',
        'p50',
        'p95',
        'p99',
        'p99.9',
        'backend calls / request',
      ],
      rows,
    ),
    '',
    `With ${calls} calls a request fails only when all copies fail.`,
  ].join('\n')
}

function throughputSection(results: BenchResults) {
  if (results.throughput.length === 0) return ''
  const { settings } = results
  const parts = [
    '## 2. Throughput',
    '',
    `Closed-loop load (${settings.tool}, keep-alive) for ${settings.throughputDuration} s per row ` +
      `after ${settings.warmup} s of warm-up per gateway; the backend adds no latency. ` +
      'req/s counts 2xx responses. "÷ direct" divides by the direct backend at the same connection ' +
      'count; "÷ Bun proxy" by the minimal Bun proxy with the same number of calls. ' +
      "Gateway CPU is the gateway process's user + system time per response, all threads; " +
      "load tool CPU is the load generator's CPU time over the run length, in cores.",
    '',
    'The minimal Bun proxy and fast-gateway parse the backend JSON and wrap it as `{"coins": [...]}`, ' +
      'the same work as Tailgate\'s `safejson` + `mapping`; "Bun passthrough" returns the body bytes without parsing them.',
  ]
  for (const payload of results.throughput) {
    parts.push('', throughputTable(payload, settings.throughputDuration))
  }
  parts.push('', poolSweepSection(results), '', '![Throughput](throughput.svg)')
  return parts.join('\n')
}

function findRun(runs: ThroughputRun[], target: string, calls: number, connections: number) {
  return runs.find(
    (run) => run.target === target && run.calls === calls && run.connections === connections,
  )
}

function throughputRow(run: ThroughputRun, runs: ThroughputRun[], durationS: number): Row {
  const direct = findRun(runs, 'direct backend', 1, run.connections)
  const proxy = findRun(runs, 'Bun proxy', run.calls, run.connections)
  return [
    run.target,
    run.calls,
    run.connections,
    Math.round(run.rps),
    direct ? ratio(run.rps / direct.rps) : undefined,
    proxy ? ratio(run.rps / proxy.rps) : undefined,
    ms(run.latencyMs.p50),
    ms(run.latencyMs.p99),
    ratio(run.backendCallsPerRequest),
    run.gatewayCpuMsPerRequest === undefined ? undefined : run.gatewayCpuMsPerRequest.toFixed(3),
    run.toolCpuSeconds === undefined ? undefined : (run.toolCpuSeconds / durationS).toFixed(2),
    run.failed,
  ]
}

function throughputTable(payload: ThroughputResult, durationS: number) {
  const kb = (payload.backendBytes / 1000).toFixed(1)
  const title =
    payload.payload === 'small'
      ? `Small payload (${payload.backendBytes} bytes)`
      : `CoinGecko markets, 100 rows (${kb} kB)`
  return [
    `### ${title}`,
    '',
    table(
      [
        'target',
        'calls',
        'conns',
        'req/s',
        '÷ direct',
        '÷ Bun proxy',
        'p50 ms',
        'p99 ms',
        'backend calls / req',
        'gateway CPU ms / req',
        'load tool CPU cores',
        'failed',
      ],
      payload.runs.map((run) => throughputRow(run, payload.runs, durationS)),
    ),
  ].join('\n')
}

function poolSweepSection(results: BenchResults) {
  const rows: Row[] = results.throughput.flatMap((payload) =>
    [...payload.sweep]
      .sort((a, b) => a.calls - b.calls || (a.workers ?? 0) - (b.workers ?? 0))
      .map((run) => {
        const proxy = findRun(payload.runs, 'Bun proxy', run.calls, run.connections)
        return [
          payload.payload,
          run.workers === 0 ? '0 (in-process)' : run.workers,
          run.calls,
          Math.round(run.rps),
          proxy ? ratio(run.rps / proxy.rps) : undefined,
          ms(run.latencyMs.p50),
          ms(run.latencyMs.p99),
          run.gatewayCpuMsPerRequest?.toFixed(3),
          ms(payload.peakRssMb[run.target]),
        ]
      }),
  )
  if (rows.length === 0) return '### Pool sweep\n\nNot measured: Tailgate is not available.'
  return [
    `### Pool sweep (${results.settings.sweepConnections} connections)`,
    '',
    table(
      [
        'payload',
        'workers',
        'calls',
        'req/s',
        '÷ Bun proxy',
        'p50 ms',
        'p99 ms',
        'gateway CPU ms / req',
        'peak RSS MB',
      ],
      rows,
    ),
  ].join('\n')
}

function memorySection(results: BenchResults) {
  const rows: Row[] = []
  for (const entry of results.latency) {
    for (const gateway of entry.gateways)
      rows.push([`latency: ${entry.id}`, gateway.gateway, ms(gateway.peakRssMb)])
  }
  for (const payload of results.throughput) {
    for (const [gateway, rss] of Object.entries(payload.peakRssMb)) {
      rows.push([`throughput: ${payload.payload} payload`, gateway, ms(rss)])
    }
  }
  if (rows.length === 0) return ''
  return [
    '## 4. Memory',
    '',
    'Peak RSS (VmHWM from /proc) of each gateway process over all its runs in a scenario, in MB ' +
      `(10^6 bytes); throughput runs go up to ${Math.max(...results.settings.connections)} connections.`,
    '',
    table(['scenario', 'gateway', 'peak RSS MB'], rows),
  ].join('\n')
}

function problemsSection(results: BenchResults) {
  if (results.problems.length === 0) return ''
  return [
    '## Problems',
    '',
    ...results.problems.map((problem) => `- ${problem.replace(/\n/g, ' ')}`),
  ].join('\n')
}
