import { parseArgs } from 'node:util'
import { LOAD_TOOLS } from './load/closed-loop.ts'
import type { LoadTool } from './load/closed-loop.ts'

export const SCENARIOS = ['latency', 'throughput', 'failures'] as const
export type Scenario = (typeof SCENARIOS)[number]

/** Settings of one bench run; times in seconds unless the name says milliseconds. */
export interface BenchOptions {
  quick: boolean
  out: string
  scenarios: Scenario[]
  tool: LoadTool
  /** Open-loop run length of each latency case. */
  latencyDuration: number
  /** Arrival rate of each endpoint in the latency cases, in requests per second. */
  rate: number
  /** Closed-loop run length of each throughput measurement. */
  throughputDuration: number
  warmup: number
  connections: number[]
  /** Tailgate worker threads in the latency and throughput runs. */
  workers: number
  /** Worker counts of the pool-size sweep; 0 runs Tailgate in-process. */
  sweepWorkers: number[]
  sweepConnections: number
  concurrentCalls: number
  medianMs: number
  sigma: number
  minMs: number
  correlation: number
  failureRate: number
  timeoutMs: number
  seed: number
  fastGateway: boolean
  /** A results file to render instead of running the suite. */
  render: string | undefined
}

interface Flag {
  env: string
  help: string
  normal: string
  quick?: string
  type?: 'boolean'
}

/** Every flag, its environment variable, its default and its `--quick` default. */
const FLAGS: Record<string, Flag> = {
  quick: {
    env: 'BENCH_QUICK',
    help: 'short run for CI smoke tests (under a minute)',
    normal: '',
    type: 'boolean',
  },
  out: {
    env: 'BENCH_OUT',
    help: 'folder for latest.md, latest.json and the SVG charts',
    normal: 'bench/results',
  },
  scenarios: {
    env: 'BENCH_SCENARIOS',
    help: `comma-separated subset of ${SCENARIOS.join(',')}`,
    normal: SCENARIOS.join(','),
  },
  tool: {
    env: 'BENCH_TOOL',
    help: `closed-loop load tool: ${LOAD_TOOLS.join(', ')}`,
    normal: 'autocannon',
  },
  duration: {
    env: 'BENCH_DURATION',
    help: 'seconds of each latency and failure case',
    normal: '20',
    quick: '4',
  },
  rate: {
    env: 'BENCH_RATE',
    help: 'requests per second sent to each endpoint in the latency cases',
    normal: '50',
    quick: '40',
  },
  'throughput-duration': {
    env: 'BENCH_THROUGHPUT_DURATION',
    help: 'seconds of each throughput measurement',
    normal: '3',
    quick: '1',
  },
  warmup: {
    env: 'BENCH_WARMUP',
    help: 'seconds of unrecorded load before each target is measured',
    normal: '1',
    quick: '0.5',
  },
  connections: {
    env: 'BENCH_CONNECTIONS',
    help: 'comma-separated connection counts of the throughput runs',
    normal: '16,64,256',
    quick: '64',
  },
  workers: {
    env: 'BENCH_WORKERS',
    help: 'Tailgate worker threads (--workers) in the main runs',
    normal: '2',
  },
  sweep: {
    env: 'BENCH_SWEEP',
    help: 'comma-separated worker counts of the pool sweep; 0 = in-process',
    normal: '0,1,2',
    quick: '0',
  },
  'sweep-connections': {
    env: 'BENCH_SWEEP_CONNECTIONS',
    help: 'connections of the pool-sweep runs',
    normal: '64',
  },
  'concurrent-calls': {
    env: 'BENCH_CONCURRENT_CALLS',
    help: 'concurrent_calls of /market/concurrent',
    normal: '3',
  },
  'median-ms': {
    env: 'BENCH_MEDIAN_MS',
    help: 'median of the log-normal backend latency, in milliseconds',
    normal: '44',
  },
  sigma: {
    env: 'BENCH_SIGMA',
    help: 'sigma of the log of the backend latency (tail width), unitless',
    normal: '0.75',
  },
  'min-ms': {
    env: 'BENCH_MIN_MS',
    help: 'backend latency floor added to every call, in milliseconds',
    normal: '150',
  },
  correlation: {
    env: 'BENCH_CORRELATION',
    help: 'share 0..1 of the delay common to all copies, correlated case',
    normal: '0.5',
  },
  'failure-rate': {
    env: 'BENCH_FAILURE_RATE',
    help: 'share 0..1 of backend calls that fail, failure case',
    normal: '0.05',
  },
  'timeout-ms': {
    env: 'BENCH_TIMEOUT_MS',
    help: 'endpoint timeout in the gateway configs, in milliseconds',
    normal: '3000',
  },
  seed: {
    env: 'BENCH_SEED',
    help: 'integer seed of the backend latency and failures',
    normal: '1',
  },
  'no-fast-gateway': {
    env: 'BENCH_NO_FAST_GATEWAY',
    help: 'skip the fast-gateway (Node.js) baseline',
    normal: '',
    type: 'boolean',
  },
  render: {
    env: '',
    help: 'rewrite latest.md and the charts in --out from this latest.json, without running',
    normal: '',
  },
  help: { env: '', help: 'print this help', normal: '', type: 'boolean' },
}

export function helpText(): string {
  const lines = Object.entries(FLAGS).map(([name, flag]) => {
    const value =
      flag.type === 'boolean' || flag.normal === ''
        ? ''
        : ` (default ${flag.normal}${flag.quick ? `, quick ${flag.quick}` : ''})`
    const env = flag.env ? ` [${flag.env}]` : ''
    return `  --${name.padEnd(20)}${flag.help}${value}${env}`
  })
  return [
    'Usage: npm run bench -- [options]   (or, with Bun on PATH: bun run bench [options])',
    '',
    'Runs the latency, throughput and failure scenarios against the demo backend, the baselines',
    'and Tailgate, then writes latest.md, latest.json and SVG charts. Every flag can also be set',
    'by the environment variable in brackets; a flag wins over its variable.',
    '',
    ...lines,
    '',
  ].join('\n')
}

/** Parses flags, then environment variables, then defaults; throws on an invalid value. */
export function parseBenchOptions(args: string[], env = process.env): BenchOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: Object.fromEntries(
      Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type ?? 'string' }]),
    ),
  })
  if (values.help) return 'help'

  const flag = (name: string) => values[name] as string | boolean | undefined
  const quick = flag('quick') === true || truthy(env.BENCH_QUICK)
  const text = (name: string) => {
    const value = flag(name) ?? env[FLAGS[name]!.env]
    if (value !== undefined && value !== '') return String(value)
    return quick ? (FLAGS[name]!.quick ?? FLAGS[name]!.normal) : FLAGS[name]!.normal
  }
  const number = (name: string, min: number, max: number) => readNumber(name, text(name), min, max)
  const list = (name: string, min: number, max: number) =>
    text(name)
      .split(',')
      .map((item) => readNumber(name, item, min, max))

  return {
    quick,
    out: text('out'),
    scenarios: readScenarios(text('scenarios')),
    tool: readTool(text('tool')),
    latencyDuration: number('duration', 1, 600),
    rate: number('rate', 1, 5000),
    throughputDuration: number('throughput-duration', 1, 120),
    warmup: number('warmup', 0, 60),
    connections: list('connections', 1, 4096).map(Math.round),
    workers: Math.round(number('workers', 0, 64)),
    sweepWorkers: list('sweep', 0, 64).map(Math.round),
    sweepConnections: Math.round(number('sweep-connections', 1, 4096)),
    concurrentCalls: Math.round(number('concurrent-calls', 1, 16)),
    medianMs: number('median-ms', 0, 60_000),
    sigma: number('sigma', 0, 5),
    minMs: number('min-ms', 0, 60_000),
    correlation: number('correlation', 0, 1),
    failureRate: number('failure-rate', 0, 1),
    timeoutMs: Math.round(number('timeout-ms', 10, 600_000)),
    seed: Math.round(number('seed', 0, 2 ** 31)),
    fastGateway: !(flag('no-fast-gateway') === true || truthy(env.BENCH_NO_FAST_GATEWAY)),
    render: text('render') || undefined,
  }
}

function truthy(value: string | undefined) {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

function readNumber(name: string, text: string, min: number, max: number) {
  const value = Number(text)
  if (text.trim() === '' || !(value >= min && value <= max)) {
    throw new RangeError(`invalid --${name}: ${text}; expected a number from ${min} to ${max}`)
  }
  return value
}

function readScenarios(text: string): Scenario[] {
  const names = text.split(',').map((name) => name.trim())
  for (const name of names) {
    if (!SCENARIOS.includes(name as Scenario)) {
      throw new RangeError(`invalid --scenarios: ${name}; expected some of ${SCENARIOS.join(',')}`)
    }
  }
  return names as Scenario[]
}

function readTool(text: string): LoadTool {
  if (!LOAD_TOOLS.includes(text as LoadTool)) {
    throw new RangeError(`invalid --tool: ${text}; expected one of ${LOAD_TOOLS.join(', ')}`)
  }
  return text as LoadTool
}
