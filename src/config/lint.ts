import type { BackendConfig, EndpointConfig, ServiceConfig } from './schema.ts'
import type { Finding } from './rules.ts'
import { durationToMs } from './duration.ts'
import { DEFAULT_TIMEOUT_MS } from '../plan.ts'

// Lint rules for `bun run check --lint`: settings that are valid but risky. Each finding is a
// warning and names its rule in brackets at the end of the message, so that it can be searched
// for. docs/reload-and-check.md describes every rule.

/** Methods that a repeated request may apply twice (RFC 9110, section 9.2.2). */
const NON_IDEMPOTENT = new Set(['POST', 'PATCH'])

/**
 * Default lower bound for a timeout. It is an assumption, not a measurement: a call to a
 * backend in another availability zone or region, with connection setup, commonly takes tens of
 * milliseconds, and a timeout below 100 ms leaves such a backend no margin. `--min-timeout`
 * sets a bound that fits the backends at hand.
 */
export const DEFAULT_MIN_TIMEOUT_MS = 100

export interface LintOptions {
  /** Timeouts below this many milliseconds are reported. */
  minTimeoutMs?: number
}

/** Lists the risky settings of a valid config. */
export function lintService(config: ServiceConfig, options: LintOptions = {}): Finding[] {
  const minTimeoutMs = options.minTimeoutMs ?? DEFAULT_MIN_TIMEOUT_MS
  const findings: Finding[] = []
  if (config.timeout !== undefined) {
    checkTimeout(config.timeout, ['timeout'], 'the service', minTimeoutMs, findings)
  }
  ;(config.endpoints ?? []).forEach((endpoint, index) => {
    const at = ['endpoints', index]
    lintHedging(config, endpoint, at, findings)
    if (endpoint.timeout !== undefined) {
      const name = `endpoint ${endpointName(endpoint)}`
      checkTimeout(endpoint.timeout, [...at, 'timeout'], name, minTimeoutMs, findings)
    } else if (config.timeout === undefined) {
      findings.push({
        severity: 'warning',
        path: at,
        message: `endpoint ${endpointName(endpoint)} and the service set no timeout, so ${countBackends(endpoint)} on the built-in ${DEFAULT_TIMEOUT_MS} ms; set a timeout that fits these backends [no-timeout-budget]`,
      })
    }
  })
  return findings
}

// Hedging sends the same request N times. For POST and PATCH that is safe only when the
// backend deduplicates it, which the config cannot show; the opt-in is the user's word for it.
function lintHedging(
  config: ServiceConfig,
  endpoint: EndpointConfig,
  at: (string | number)[],
  findings: Finding[],
): void {
  const calls = endpoint.concurrent_calls ?? 1
  if (calls <= 1) return
  const endpointMethod = (endpoint.method ?? 'GET').toUpperCase()
  const optIn =
    endpoint.extra_config?.['tailgate/hedging']?.idempotent ??
    config.extra_config?.['tailgate/hedging']?.idempotent ??
    false
  // Without the opt-in, hedging any POST or PATCH is already an error of the semantic rules.
  if (!optIn) return

  endpoint.backend.forEach((backend, index) => {
    const method = backendMethod(backend, endpointMethod)
    if (!NON_IDEMPOTENT.has(method)) return
    findings.push({
      severity: 'warning',
      path: [...at, 'concurrent_calls'],
      message: `concurrent_calls ${calls} sends each ${method} to backend ${index} ${calls} times; tailgate/hedging.idempotent allows it; make sure the backend applies a repeated request once, for example with an idempotency key [hedge-non-idempotent]`,
    })
  })
}

function checkTimeout(
  value: string | number,
  path: (string | number)[],
  owner: string,
  minTimeoutMs: number,
  findings: Finding[],
): void {
  const timeoutMs = durationToMs(value)
  if (timeoutMs >= minTimeoutMs) return
  findings.push({
    severity: 'warning',
    path,
    message: `timeout of ${owner} is ${timeoutMs} ms, below ${minTimeoutMs} ms: backends that answer in usual network time would time out [timeout-below-latency]`,
  })
}

function backendMethod(backend: BackendConfig, endpointMethod: string): string {
  return (backend.method ?? endpointMethod).toUpperCase()
}

function endpointName(endpoint: EndpointConfig): string {
  return `${(endpoint.method ?? 'GET').toUpperCase()} ${endpoint.endpoint}`
}

function countBackends(endpoint: EndpointConfig): string {
  const count = endpoint.backend.length
  return count === 1 ? 'its backend runs' : `its ${count} backends run`
}
