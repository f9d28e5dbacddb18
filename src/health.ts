import type { Elysia } from 'elysia'
import type { ConfigStatus } from './reload.ts'

/** The `GET /__health` document: the config being served and the outcome of the last reload. */
export interface HealthDocument {
  /** Always "ok": the gateway answers, whatever the state of its config file. */
  status: 'ok'
  config: {
    file: string
    /** First 16 hex digits of the sha256 of the file text being served. */
    hash: string
    /** When this version was loaded, as an ISO 8601 time. */
    loaded_at: string
    generation: number
    endpoints: number
  }
  reloads: { succeeded: number; rejected: number }
  /** Why the latest version of the file is not served; null when it is. */
  last_reload_error: {
    at: string
    hash: string | null
    message: string
    errors: { severity: string; path: string; line: number | null; message: string }[]
  } | null
  /** Settings changed in the file that apply only after a restart. */
  restart_required: { key: string; running: unknown; configured: unknown }[]
}

/** Adds `GET /__health` to an app; `status` is read on every request. */
export function addHealthRoute(app: Elysia, status: () => Readonly<ConfigStatus>): Elysia {
  app.get('/__health', () => Response.json(healthDocument(status())))
  return app
}

export function healthDocument(status: Readonly<ConfigStatus>): HealthDocument {
  const error = status.lastError
  return {
    status: 'ok',
    config: {
      file: status.file,
      hash: status.hash,
      loaded_at: status.loadedAt.toISOString(),
      generation: status.generation,
      endpoints: status.endpoints,
    },
    reloads: { ...status.reloads },
    last_reload_error: error && {
      at: error.at.toISOString(),
      hash: error.hash ?? null,
      message: error.message,
      errors: error.problems.map((problem) => ({
        severity: problem.severity,
        path: problem.path,
        line: problem.line ?? null,
        message: problem.message,
      })),
    },
    restart_required: status.restartRequired.map((need) => ({ ...need })),
  }
}
