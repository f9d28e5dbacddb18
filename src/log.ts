import { isMainThread, threadId } from 'node:worker_threads'
import pino from 'pino'
import pretty from 'pino-pretty'
import type { LogSettings } from './messages.ts'

// The gateway's structured logger. Level policy, the same on every thread:
// - error: a 5xx the gateway returns, with endpoint, backend and cause; a request that failed
//   inside the gateway.
// - warn: config warnings, telemetry export problems.
// - info: startup, shutdown, config reloads.
// - debug: each failed backend attempt, rate-limited per backend.
// Scope goes in fields (endpoint, backend, worker), never in the message text.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const LOG_FORMATS = ['json', 'pretty'] as const

/** Where log lines go; a stream with a synchronous `write` such as a pino destination. */
export interface LogDestination {
  write(line: string): unknown
}

// pino writes into this forwarder, so that configureLog can change the format and destination
// after other modules have imported `log`. Lines are written synchronously: a worker thread
// that exits loses nothing, and pino-pretty runs as a stream because pino transports start
// worker threads of their own.
let settings: LogSettings = {
  level: isLogLevel(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : 'info',
  format: process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json',
}
const output = {
  destination: standardOutput(settings.format),
  /** What `destination` writes: standard output as JSON or pretty text, or a caller's stream. */
  kind: settings.format as LogSettings['format'] | 'custom',
  write(line: string) {
    output.destination.write(line)
  },
}

export const log = pino(
  {
    level: settings.level,
    base: isMainThread ? { pid: process.pid } : { pid: process.pid, worker: threadId },
  },
  output,
)

/**
 * Sets the level and format of this thread's logger. `destination` replaces standard output,
 * for embedding the gateway or capturing its log in a test.
 *
 * @example
 * configureLog({ level: 'debug', format: 'pretty' })
 */
export function configureLog(next: Partial<LogSettings> & { destination?: LogDestination }): void {
  settings = { level: next.level ?? settings.level, format: next.format ?? settings.format }
  log.level = settings.level
  if (next.destination) {
    output.destination = next.destination
    output.kind = 'custom'
  } else if (output.kind !== settings.format) {
    output.destination = standardOutput(settings.format)
    output.kind = settings.format
  }
}

/** The level and format in force, for the workers to apply. */
export function logSettings(): LogSettings {
  return { ...settings }
}

export function isLogLevel(value: string | undefined): value is LogSettings['level'] {
  return (LOG_LEVELS as readonly (string | undefined)[]).includes(value)
}

function standardOutput(format: LogSettings['format']): LogDestination {
  if (format === 'json') return pino.destination({ fd: 1, sync: true })
  return pretty({ colorize: Boolean(process.stdout.isTTY), sync: true, destination: 1 })
}
