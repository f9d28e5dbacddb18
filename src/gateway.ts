import { availableParallelism } from 'node:os'
import { isIP } from 'node:net'
import { lookup } from 'node:dns/promises'
import type { Server } from 'bun'
import { loadConfigFile, type LoadedConfig } from './config/load.ts'
import { formatProblem } from './config/problems.ts'
import { compilePlans } from './plan.ts'
import { StatsRegistry } from './stats.ts'
import { createDispatcher, type Dispatcher } from './pool.ts'
import { buildApp } from './front.ts'
import type { HttpClientOptions, PlanSet } from './messages.ts'
import { log } from './log.ts'
import { ErrorCode, TailgateError } from './errors.ts'
import { ConfigReloader, type ReloadOutcome } from './reload.ts'
import { watchConfigFile, type ConfigWatcher } from './config-watcher.ts'
import { startTelemetry } from './telemetry/telemetry.ts'
import { GatewayMetrics } from './telemetry/metrics.ts'

export const DEFAULT_PORT = 8080
/** How long stop() waits for requests in flight before closing their connections. */
export const SHUTDOWN_GRACE_MS = 10_000

// Bun reports a host name that does not resolve as EADDRINUSE or ENOTTY, so a name is resolved
// first and reported as what it is.
async function checkHostname(hostname: string): Promise<void> {
  if (isIP(hostname)) return
  try {
    await lookup(hostname)
  } catch {
    throw new TailgateError(
      ErrorCode.LISTEN_FAILED,
      `cannot listen on ${hostname}: the host name does not resolve; pass an address of this machine with --host`,
    )
  }
}

function listenError(error: unknown, hostname: string, port: number): unknown {
  if (error instanceof TailgateError) return error
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return new TailgateError(
      ErrorCode.PORT_IN_USE,
      `port ${port} is already in use; stop the other server or choose another port with --port`,
    )
  }
  return new TailgateError(
    ErrorCode.LISTEN_FAILED,
    `cannot listen on ${hostname}:${port}: ${(error as Error).message}`,
  )
}

export interface GatewayOptions {
  configFile: string
  /** Overrides the config's port; 0 picks a free port. */
  port?: number
  hostname?: string
  /** Worker threads; 0 runs tasks on the main thread. Defaults to the available parallelism. */
  workers?: number
  httpClient?: HttpClientOptions['client']
  maxSockets?: number
  /** Reloads the config when its file changes (default false; the CLI turns it on). */
  watch?: boolean
  /** Quiet time after the last file event before a reload; see src/config-watcher.ts. */
  watchDebounceMs?: number
}

export interface Gateway {
  readonly port: number
  readonly url: string
  readonly workers: number
  /** The config being served; a reload replaces it. */
  readonly config: LoadedConfig
  readonly stats: StatsRegistry
  readonly dispatcher: Dispatcher
  /** Reads the config file again and applies it when it is valid and changed. */
  reload(trigger?: string): Promise<ReloadOutcome>
  /** Stops accepting requests, waits up to graceMs for those in flight, then stops the workers. */
  stop(graceMs?: number): Promise<void>
}

/** Loads the config, starts the worker pool and the HTTP front. Throws ConfigError on a bad config. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const loaded = loadConfigFile(options.configFile)
  for (const warning of loaded.warnings) {
    const { file, path, line, column } = warning
    log.warn({ file, path, line, column }, formatProblem(warning))
  }
  const telemetry = startTelemetry(loaded.config.extra_config?.['tailgate/telemetry'])

  const stats = new StatsRegistry()
  const planSet: PlanSet = { generation: 1, endpoints: compilePlans(loaded.config, stats) }
  const workers = options.workers ?? availableParallelism()
  const dispatcher = createDispatcher({
    threads: workers,
    planSet,
    statsBuffer: stats.buffer,
    httpClient: options.httpClient,
    maxSockets: options.maxSockets,
    telemetry: telemetry.worker,
  })

  const metrics = new GatewayMetrics({ stats, dispatcher })
  const port = options.port ?? loaded.config.port ?? DEFAULT_PORT
  const reloader = new ConfigReloader({
    configFile: options.configFile,
    loaded,
    planSet,
    stats,
    dispatcher,
    buildApp: (next) =>
      buildApp({ planSet: next, dispatcher, stats, tracing: telemetry.tracing, metrics }),
    portFromConfig: options.port === undefined ? port : null,
    defaultPort: DEFAULT_PORT,
  })
  let server: Server<unknown>
  const hostname = options.hostname ?? '0.0.0.0'
  try {
    await checkHostname(hostname)
    server = reloader.front.listen({ port, hostname })
  } catch (error) {
    await dispatcher.close()
    await telemetry.shutdown()
    throw listenError(error, hostname, port)
  }
  let watcher: ConfigWatcher | undefined
  if (options.watch) {
    const onChange = () => void reloader.reload('file change')
    watcher = watchConfigFile(options.configFile, onChange, options.watchDebounceMs)
  }

  log.info(
    {
      port: server.port,
      config: options.configFile,
      endpoints: planSet.endpoints.length,
      workers,
      tracing: telemetry.settings
        ? { url: telemetry.settings.url, protocol: telemetry.settings.protocol }
        : false,
    },
    `gateway listening on port ${server.port} with ${planSet.endpoints.length} endpoints from ${options.configFile} and ${workers} worker${workers === 1 ? '' : 's'}`,
  )

  return {
    port: server.port!,
    url: `http://127.0.0.1:${server.port}`,
    workers,
    get config() {
      return reloader.config
    },
    stats,
    dispatcher,
    reload: (trigger = 'api') => reloader.reload(trigger),
    async stop(graceMs = SHUTDOWN_GRACE_MS) {
      watcher?.close()
      // Stop accepting and let requests in flight finish; cut whatever is left after graceMs.
      const cutoff = setTimeout(() => void server.stop(true), graceMs)
      await server.stop(false)
      clearTimeout(cutoff)
      await telemetry.flushWorkers(workers)
      await dispatcher.close()
      await telemetry.shutdown()
      log.info({ port: server.port }, 'gateway stopped')
    },
  }
}
