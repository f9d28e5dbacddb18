import type { BackendPlan, EndpointPlan } from '../src/plan.ts'
import { log } from '../src/log.ts'
import { LogRateLimiter } from '../src/log-rate-limit.ts'
import type { BackendOutcome } from './backend-call.ts'
import type { Failure } from './race.ts'

// Log lines about failures, written on the thread that saw them (the worker id is in every line
// a worker writes). The limits keep a failing backend under load from flooding the log; the
// exact counts are in /__stats and /__metrics.

/** 5xx lines per endpoint per second; the lines over it are counted in the next one. */
const SERVER_ERRORS_PER_SECOND = 100
/** Debug lines about failed attempts per backend per 10 seconds. */
const ATTEMPT_FAILURES_PER_WINDOW = 10
const ATTEMPT_FAILURE_WINDOW_MS = 10_000

const serverErrors = new LogRateLimiter(SERVER_ERRORS_PER_SECOND, 1000)
const attemptFailures = new LogRateLimiter(ATTEMPT_FAILURES_PER_WINDOW, ATTEMPT_FAILURE_WINDOW_MS)

/** Logs a 5xx response of an endpoint at error, with the backend and cause that led to it. */
export function logServerError(
  endpoint: EndpointPlan,
  outcomes: BackendOutcome[],
  status: number,
): void {
  const suppressed = serverErrors.take(endpoint.key)
  if (suppressed < 0) return

  const failures = outcomes.flatMap((outcome, backend) =>
    outcome.ok ? [] : outcome.failures.map((failure) => ({ backend, ...describe(failure) })),
  )
  const first = failures[0]
  const relayed = outcomes[0]?.ok ? outcomes[0].raw?.status : undefined
  log.error(
    {
      endpoint: endpoint.key,
      status,
      backend: first?.backend ?? 0,
      host: first?.host,
      cause:
        first?.message ??
        `backend returned status ${relayed ?? status}, relayed unchanged by no-op encoding`,
      failures,
      ...(suppressed > 0 && { suppressed }),
    },
    'gateway returned a server error',
  )
}

/** Logs the failed attempts of one race at debug, rate-limited per backend. */
export function logAttemptFailures(
  endpoint: EndpointPlan,
  backend: BackendPlan,
  failures: Failure[],
): void {
  if (!log.isLevelEnabled('debug')) return
  const key = `${endpoint.key} backend ${backend.index}`
  for (const failure of failures) {
    if (failure.kind === 'aborted') continue
    const suppressed = attemptFailures.take(key)
    if (suppressed < 0) return
    log.debug(
      {
        endpoint: endpoint.key,
        backend: backend.index,
        ...describe(failure),
        ...(suppressed > 0 && { suppressed }),
      },
      'backend attempt failed',
    )
  }
}

function describe(failure: Failure) {
  return {
    attempt: failure.attempt,
    kind: failure.kind,
    host: failure.host,
    status: failure.status,
    message: failure.message,
  }
}
