import { parseArgs } from 'node:util'
import { availableParallelism } from 'node:os'
import { fail, integerFlag } from './cli-flags.ts'
import { startGateway, DEFAULT_PORT } from './gateway.ts'
import { ConfigError } from './config/load.ts'
import { formatProblem } from './config/problems.ts'
import { FETCH_POOL_SOCKETS } from '../workers/http-client.ts'
import { TailgateError } from './errors.ts'
import { configureLog, isLogLevel, LOG_FORMATS, LOG_LEVELS } from './log.ts'
import type { LogSettings } from './messages.ts'

const HELP = `Usage: npm run gateway -- [options]   (or, with Bun on PATH: bun run gateway [options])

Serves the endpoints of a KrakenD-style config (version 3).

Options:
  -c, --config PATH     config file (default: config/krakend.json)
  -p, --port N          port to listen on (default: the config's "port", then ${DEFAULT_PORT})
      --host ADDRESS    address to listen on (default: 0.0.0.0)
  -w, --workers N       worker threads for backend calls; 0 runs them on the main thread
                        (default: available parallelism, ${availableParallelism()} here)
      --max-sockets N   backend requests in flight for the whole process, split between
                        workers; more wait in a queue (default: ${FETCH_POOL_SOCKETS})
      --http-client C   pooled-fetch (default) or fetch (no in-flight cap), for comparison
      --no-watch        do not reload when the config file changes (SIGHUP still reloads)
      --log-level L     ${LOG_LEVELS.join(', ')} (default: LOG_LEVEL, then info)
      --log-format F    json, one object per line, or pretty for terminals
                        (default: LOG_FORMAT, then json)
  -h, --help            show this help

The gateway reloads its config when the file changes and on SIGHUP. An invalid file is
reported and changes nothing; the gateway keeps serving the config it has.

Tracing is off unless OTEL_TRACES_EXPORTER=otlp or OTEL_EXPORTER_OTLP_ENDPOINT is set, or the
config's extra_config "tailgate/telemetry" has an otlp_endpoint. Metrics: GET /__metrics.
`

/** Reads the log level and format from the flags, then LOG_LEVEL and LOG_FORMAT. */
function logOptions(level: string | undefined, format: string | undefined): Partial<LogSettings> {
  const source = level === undefined ? 'LOG_LEVEL' : '--log-level'
  const chosenLevel = level ?? (process.env.LOG_LEVEL || undefined)
  if (chosenLevel !== undefined && !isLogLevel(chosenLevel)) {
    fail(`${source} must be one of ${LOG_LEVELS.join(', ')}; got '${chosenLevel}'`)
  }
  const formatSource = format === undefined ? 'LOG_FORMAT' : '--log-format'
  const chosenFormat = format ?? (process.env.LOG_FORMAT || undefined)
  if (chosenFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(chosenFormat)) {
    fail(`${formatSource} must be json or pretty; got '${chosenFormat}'`)
  }
  return { level: chosenLevel, format: chosenFormat as LogSettings['format'] | undefined }
}

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        config: { type: 'string', short: 'c', default: 'config/krakend.json' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        workers: { type: 'string', short: 'w' },
        'max-sockets': { type: 'string' },
        'http-client': { type: 'string' },
        'no-watch': { type: 'boolean' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    fail((error as Error).message)
  }
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const client = values['http-client']
  if (client !== undefined && client !== 'pooled-fetch' && client !== 'fetch') {
    fail(`--http-client must be pooled-fetch or fetch; got '${client}'`)
  }
  configureLog(logOptions(values['log-level'], values['log-format']))

  try {
    const gateway = await startGateway({
      configFile: values.config,
      port: integerFlag('port', values.port, 0, 65535),
      hostname: values.host,
      workers: integerFlag('workers', values.workers, 0),
      maxSockets: integerFlag('max-sockets', values['max-sockets'], 1),
      httpClient: client,
      watch: !values['no-watch'],
    })
    const shutdown = () => void gateway.stop().then(() => process.exit(0))
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
    process.on('SIGHUP', () => void gateway.reload('SIGHUP'))
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`)
      const count = error.problems.filter((problem) => problem.severity === 'error').length
      process.stderr.write(
        `${values.config}: ${count} error(s) [${error.code}]; the gateway did not start\n`,
      )
      process.exit(1)
    }
    if (error instanceof TailgateError) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

await main()
