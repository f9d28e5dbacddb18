import { parseArgs } from 'node:util'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MARKETS_PATH, startMarketBackend } from '../src/demo/market-backend.ts'

// Measures what tracing costs: requests/s of the same gateway with tracing off, on with every
// trace sampled and exported to a local OTLP sink, and on with every trace sampled out (spans and
// context are made, nothing is exported). Modes alternate round by round, so drift on a shared
// machine spreads over all of them. Each gateway runs as its own CLI process; the load comes from
// this process, to 127.0.0.1 only.
//
// --baseline DIR adds a mode that runs the CLI of another checkout, such as the commit before
// tracing was added, to compare "off" with a build that has no tracing code at all.
//
//   bun bench/tracing-overhead.ts --seconds 5 --rounds 2 --concurrency 32 --workers 1

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1' },
    calls: { type: 'string', default: '3' },
    'backend-ms': { type: 'string', default: '2' },
    baseline: { type: 'string' },
  },
})
const SECONDS = positive('seconds')
const ROUNDS = positive('rounds')
const CONCURRENCY = positive('concurrency')
const CALLS = positive('calls')
const WORKERS = values.workers!
const BACKEND_MS = Number(values['backend-ms'])
const WARMUP_MS = 1000

interface Mode {
  name: string
  env: Record<string, string>
  /** Checkout whose src/cli.ts runs the gateway; this one by default. */
  cwd?: string
}

function positive(name: keyof typeof values): number {
  const number = Number(values[name])
  if (!Number.isInteger(number) || number < 1) {
    process.stderr.write(`--${name} must be a whole number ≥ 1; got '${values[name]}'\n`)
    process.exit(2)
  }
  return number
}

/** Starts an OTLP/HTTP sink that accepts every export and counts the bytes received. */
function startSink() {
  let bytes = 0
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      bytes += (await request.arrayBuffer()).byteLength
      return new Response(null, { status: 200 })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    bytes: () => bytes,
    stop: () => server.stop(true),
  }
}

async function startGatewayProcess(configFile: string, port: number, mode: Mode) {
  const { OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, ...inherited } = process.env
  const child = Bun.spawn(
    [process.execPath, 'src/cli.ts', '-c', configFile, '-p', String(port), '-w', WORKERS],
    {
      cwd: mode.cwd ?? process.cwd(),
      env: { ...inherited, LOG_LEVEL: 'warn', ...mode.env },
      stdout: 'inherit',
      stderr: 'inherit',
    },
  )
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(`http://127.0.0.1:${port}/__stats`).catch(() => null)
    if (response?.ok) return child
    await Bun.sleep(25)
  }
  child.kill()
  throw new Error(`the gateway did not start on port ${port} within 5 s`)
}

/** Sends requests from `CONCURRENCY` loops for `ms`; returns the count of 200 responses. */
async function load(url: string, ms: number): Promise<{ ok: number; failed: number }> {
  const deadline = performance.now() + ms
  let ok = 0
  let failed = 0
  const loop = async () => {
    while (performance.now() < deadline) {
      const response = await fetch(url).catch(() => null)
      if (response?.status === 200) ok++
      else failed++
      await response?.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
  return { ok, failed }
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = probe.port!
  await probe.stop(true)
  return port
}

async function main() {
  const backend = await startMarketBackend({ port: 0, fixedMs: BACKEND_MS, payload: 'small' })
  const sink = startSink()
  const dir = mkdtempSync(join(tmpdir(), 'tailgate-bench-'))
  const configFile = join(dir, 'krakend.json')
  writeFileSync(
    configFile,
    JSON.stringify({
      version: 3,
      host: [backend.url],
      endpoints: [
        {
          endpoint: '/coin',
          concurrent_calls: CALLS,
          backend: [{ url_pattern: `${MARKETS_PATH}?vs_currency=eur` }],
        },
      ],
    }),
  )
  const traced = {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  }
  const modes: Mode[] = [
    { name: 'off', env: {} },
    { name: 'on, exported', env: traced },
    { name: 'on, sampled out', env: { ...traced, OTEL_TRACES_SAMPLER: 'always_off' } },
  ]
  if (values.baseline) modes.unshift({ name: 'baseline build', env: {}, cwd: values.baseline })
  const rates = new Map<string, number[]>(modes.map((mode) => [mode.name, []]))

  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of modes) {
        const port = await freePort()
        const gateway = await startGatewayProcess(configFile, port, mode)
        const url = `http://127.0.0.1:${port}/coin`
        await load(url, WARMUP_MS)
        const { ok, failed } = await load(url, SECONDS * 1000)
        gateway.kill('SIGTERM')
        await gateway.exited
        rates.get(mode.name)!.push(ok / SECONDS)
        if (failed > 0) process.stderr.write(`${mode.name}: ${failed} requests failed\n`)
        process.stderr.write(`round ${round} ${mode.name}: ${Math.round(ok / SECONDS)} req/s\n`)
      }
    }
  } finally {
    await backend.stop()
    await sink.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  const baseline = median(rates.get(modes[0]!.name)!)
  console.log(
    `tracing overhead: ${ROUNDS} rounds of ${SECONDS} s, concurrency ${CONCURRENCY}, ` +
      `${WORKERS} worker(s), concurrent_calls ${CALLS}, backend ${BACKEND_MS} ms`,
  )
  console.log(`| tracing | median req/s | vs ${modes[0]!.name} | each round |`)
  console.log('| --- | --- | --- | --- |')
  for (const mode of modes) {
    const all = rates.get(mode.name)!
    const rate = median(all)
    const rounds = all.map(Math.round).join(', ')
    console.log(
      `| ${mode.name} | ${Math.round(rate)} | ${(rate / baseline).toFixed(3)} | ${rounds} |`,
    )
  }
  console.log(`OTLP bytes received by the sink: ${sink.bytes()}`)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

await main()
