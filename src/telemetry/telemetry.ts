import type { TracerProvider } from '@opentelemetry/sdk-trace'
import type { TelemetryConfig } from '../config/schema.ts'
import type { TracingSettings, WorkerTelemetry } from '../messages.ts'
import { logSettings } from '../log.ts'
import { resolveTracing, type Environment } from './settings.ts'
import { TRACER_NAME, TRACER_VERSION, createTracerProvider } from './provider.ts'
import { ServerTracing } from './server-tracing.ts'
import { requestFlush } from './flush-channel.ts'

/** Maximum wait at shutdown for the workers to export their buffered spans. */
const WORKER_FLUSH_TIMEOUT_MS = 5000

let nextChannel = 1

/** The main thread's side of tracing and the settings handed to the workers. */
export interface Telemetry {
  /** Null when tracing is off: the request path then creates no span and no context. */
  readonly tracing: ServerTracing | null
  readonly settings: TracingSettings | null
  readonly worker: WorkerTelemetry
  /** Asks `workers` pool threads to export their buffered spans; returns how many did. */
  flushWorkers(workers: number): Promise<number>
  /** Exports the main thread's buffered spans and stops its exporter. */
  shutdown(): Promise<void>
}

/** Resolves the settings (see settings.ts) and starts the main thread's tracer provider. */
export function startTelemetry(
  config: TelemetryConfig | undefined,
  env: Environment = process.env,
): Telemetry {
  const settings = resolveTracing(config, env)
  const flushChannel = `tailgate-telemetry-${process.pid}-${nextChannel++}`
  const worker: WorkerTelemetry = { log: logSettings(), tracing: settings, flushChannel }
  let provider: TracerProvider | null = null
  if (settings) provider = createTracerProvider(settings)

  return {
    tracing: provider && new ServerTracing(provider.getTracer(TRACER_NAME, TRACER_VERSION)),
    settings,
    worker,
    // Also capped by the batch export timeout: an export still running by then has failed.
    flushWorkers: (workers) => {
      if (!settings) return Promise.resolve(0)
      const timeoutMs = Math.min(WORKER_FLUSH_TIMEOUT_MS, settings.batch.exportTimeoutMillis)
      return requestFlush(flushChannel, workers, timeoutMs)
    },
    shutdown: async () => {
      await provider?.shutdown()
    },
  }
}
