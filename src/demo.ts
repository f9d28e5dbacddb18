import { parseArgs } from 'node:util'
import { startGateway } from './gateway.ts'
import { integerFlag } from './cli-flags.ts'
import { ConfigError } from './config/load.ts'
import { formatProblem } from './config/problems.ts'
import { parseBackendArgs, startMarketBackend } from './demo/market-backend.ts'

// `bun run demo`: the market-data demo backend on 127.0.0.1:9100, which config/krakend.json
// points at, and the gateway in front of it.

const HELP = `Usage: npm run demo -- [options]   (or, with Bun on PATH: bun run demo [options])

Starts the demo market backend and the gateway on config/krakend.json.

Gateway options:
  --config PATH        config file (default: config/krakend.json)
  --port N             gateway port (default: the config's port)
  --workers N          worker threads; 0 runs on the main thread (default: available parallelism)

Backend options (latencies in milliseconds):
  --backend-port N     port of the demo backend (default: 9100, as in config/krakend.json)
  --median-ms MS       median latency of the log-normal distribution (default: 40)
  --sigma S            log-normal sigma; larger means a longer tail (default: 0.5)
  --min-ms MS          latency floor added to every call (default: 0)
  --failure-rate R     share 0..1 of calls that return 500 (default: 0.02)
  --seed N             seed of the random latency and failures (default: 1)
`

const BACKEND_FLAGS = ['median-ms', 'sigma', 'min-ms', 'failure-rate', 'seed'] as const

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'config/krakend.json' },
      port: { type: 'string' },
      workers: { type: 'string' },
      'backend-port': { type: 'string', default: '9100' },
      'median-ms': { type: 'string' },
      sigma: { type: 'string' },
      'min-ms': { type: 'string' },
      'failure-rate': { type: 'string', default: '0.02' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }

  const backendArgs = ['--port', values['backend-port']]
  for (const flag of BACKEND_FLAGS) {
    if (values[flag] !== undefined) backendArgs.push(`--${flag}`, values[flag]!)
  }
  const backendOptions = parseBackendArgs(backendArgs)
  if (backendOptions === 'help') return
  const backend = await startMarketBackend(backendOptions)

  const gateway = await startGateway({
    configFile: values.config,
    port: integerFlag('port', values.port, 0, 65535),
    workers: integerFlag('workers', values.workers, 0),
    watch: true,
  })
  process.stdout.write(
    [
      '',
      `Demo backend: ${backend.url} (CoinGecko-shaped /api/v3/coins/markets)`,
      'Try:',
      `  curl localhost:${gateway.port}/market/concurrent`,
      `  curl localhost:${gateway.port}/market/simple`,
      `  curl localhost:${gateway.port}/__stats`,
      '',
    ].join('\n'),
  )

  const shutdown = async () => {
    await gateway.stop()
    await backend.stop()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  process.on('SIGHUP', () => void gateway.reload('SIGHUP'))
}

try {
  await main()
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`)
    process.exit(1)
  }
  process.stderr.write(`error: ${(error as Error).message}\nRun with --help for usage.\n`)
  process.exit(2)
}
