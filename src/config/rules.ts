import type { ConfigProblem, PathSegment } from './problems.ts'
import type { EndpointConfig, ServiceConfig } from './schema.ts'
import { checkEndpointCompat, checkPlaceholder, checkServiceCompat } from './compat-rules.ts'
import { MAX_CONFIG_STATS_SLOTS } from '../stats-layout.ts'
import {
  MAX_CACHE_TTL_SECONDS,
  MAX_TIMEOUT_MS,
  MAX_TIMEOUT_TEXT,
  isWholeSeconds,
  parseDuration,
} from './duration.ts'

// Semantic rules that a schema cannot express. Each finding names the JSON path it is about.

export const RESERVED_PATH_PREFIXES = ['/__stats', '/__health', '/__metrics', '/__debug', '/__echo']
const PLACEHOLDER = /\{([^{}]+)\}/g
/** Characters that a URL or the router (Elysia's memoirist) reads specially in a path. */
const RESERVED_PATH_CHARACTERS: [string, string][] = [
  [
    '?',
    'a query string is never part of the path a request is matched on; list the query parameters to forward in input_query_strings',
  ],
  ['#', 'a fragment is never sent to the server'],
  [
    ':',
    'the router would read it as a parameter; write a parameter as a whole segment such as {id}',
  ],
  [
    '*',
    'the router would read it as a wildcard that matches any depth; Tailgate has no wildcard routes',
  ],
]
const HOST = /^(https?:\/\/)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/
const NON_IDEMPOTENT = new Set(['POST', 'PATCH'])

export type Finding = { severity: ConfigProblem['severity']; path: PathSegment[]; message: string }

/** Lists the placeholder names of an endpoint path such as `/users/{id}/posts/{post}`. */
export function endpointParams(path: string): string[] {
  return [...path.matchAll(PLACEHOLDER)].map((match) => match[1]!)
}

/** Adds `http://` when a host has no scheme and removes a trailing slash, as KrakenD does. */
export function normaliseHost(host: string): string {
  const withScheme = /^https?:\/\//.test(host) ? host : `http://${host}`
  return withScheme.endsWith('/') ? withScheme.slice(0, -1) : withScheme
}

export function checkService(config: ServiceConfig): Finding[] {
  const findings: Finding[] = []
  if (config.version !== 3) {
    findings.push({
      severity: 'error',
      path: ['version'],
      message: `unsupported version ${config.version}; Tailgate reads version 3 configs`,
    })
  }
  checkHosts(config.host ?? [], ['host'], findings)
  checkDurations(config, [], findings)
  checkServiceCompat(config, reporter(findings))
  const endpoints = config.endpoints ?? []
  endpoints.forEach((_, index) => checkEndpoint(config, index, findings))
  checkRouteConflicts(config, findings)
  checkStatsSlots(endpoints, findings)
  return findings
}

function checkEndpoint(config: ServiceConfig, index: number, findings: Finding[]): void {
  const endpoint = config.endpoints![index]!
  const at: PathSegment[] = ['endpoints', index]
  const method = (endpoint.method ?? 'GET').toUpperCase()
  const name = `${method} ${endpoint.endpoint}`

  checkEndpointPath(endpoint.endpoint, [...at, 'endpoint'], findings)
  checkDurations(endpoint, at, findings)
  if (endpoint.backend.length === 0) {
    findings.push({
      severity: 'error',
      path: [...at, 'backend'],
      message: `endpoint ${name} has no backends; add at least one`,
    })
  }
  if (endpoint.output_encoding === 'no-op' && endpoint.backend.length > 1) {
    findings.push({
      severity: 'error',
      path: [...at, 'output_encoding'],
      message: `endpoint ${name} uses no-op output with ${endpoint.backend.length} backends; no-op relays one backend response as is, so use one backend or another output_encoding`,
    })
  }
  const calls = endpoint.concurrent_calls ?? 1
  const idempotent =
    endpoint.extra_config?.['tailgate/hedging']?.idempotent ??
    config.extra_config?.['tailgate/hedging']?.idempotent ??
    false
  // A backend's own method is what gets repeated, so a POST backend under a GET endpoint counts.
  const unsafeMethod = [
    method,
    ...endpoint.backend.map((b) => (b.method ?? method).toUpperCase()),
  ].find((candidate) => NON_IDEMPOTENT.has(candidate))
  if (calls > 1 && unsafeMethod && !idempotent) {
    findings.push({
      severity: 'error',
      path: [...at, 'concurrent_calls'],
      message: `concurrent_calls ${calls} on ${name} would send each ${unsafeMethod} ${calls} times; set extra_config["tailgate/hedging"].idempotent to true only if the backends are idempotent`,
    })
  }

  checkEndpointCompat(endpoint, at, reporter(findings))
  const params = new Set(endpointParams(endpoint.endpoint))
  endpoint.backend.forEach((backend, backendIndex) => {
    const backendAt = [...at, 'backend', backendIndex]
    for (const match of backend.url_pattern.matchAll(PLACEHOLDER)) {
      if (!params.has(match[1]!)) {
        const placeholderAt = [...backendAt, 'url_pattern']
        checkPlaceholder(match[1]!, endpoint, backendIndex, placeholderAt, reporter(findings))
      }
    }
    if (!backend.url_pattern.startsWith('/')) {
      findings.push({
        severity: 'error',
        path: [...backendAt, 'url_pattern'],
        message: `url_pattern '${backend.url_pattern}' must start with /`,
      })
    }
    const hosts = backend.host ?? config.host ?? []
    if (hosts.length === 0) {
      findings.push({
        severity: 'error',
        path: [...backendAt, 'host'],
        message: 'backend has no host; set its host list or the service-level host list',
      })
    }
    checkHosts(backend.host ?? [], [...backendAt, 'host'], findings)
    if (backend.allow?.length && backend.deny?.length) {
      findings.push({
        severity: 'warning',
        path: [...backendAt, 'deny'],
        message: 'deny is ignored because allow is set, as in KrakenD',
      })
    }
  })
}

function reporter(findings: Finding[]) {
  return (severity: Finding['severity'], path: PathSegment[], message: string) =>
    findings.push({ severity, path, message })
}

function checkEndpointPath(path: string, at: PathSegment[], findings: Finding[]): void {
  const reserved = RESERVED_PATH_PREFIXES.find(
    (prefix) => path === prefix || path.startsWith(`${prefix}/`),
  )
  if (reserved) {
    findings.push({
      severity: 'error',
      path: at,
      message: `endpoint path ${path} is reserved by the gateway (${RESERVED_PATH_PREFIXES.join(', ')})`,
    })
  }
  for (const [character, reason] of RESERVED_PATH_CHARACTERS) {
    if (path.includes(character)) {
      findings.push({
        severity: 'error',
        path: at,
        message: `endpoint path ${path} contains '${character}': ${reason}`,
      })
    }
  }
  for (const segment of path.split('/')) {
    if (segment.includes('{') && !/^\{[\w-]+\}$/.test(segment)) {
      findings.push({
        severity: 'error',
        path: at,
        message: `path segment '${segment}' is invalid: a parameter must be a whole segment such as {id}, with letters, digits, _ or -`,
      })
    }
  }
  const params = endpointParams(path)
  const repeated = params.find((name, index) => params.indexOf(name) !== index)
  if (repeated) {
    findings.push({
      severity: 'error',
      path: at,
      message: `parameter {${repeated}} appears twice in ${path}; give each parameter its own name`,
    })
  }
}

// The stats buffer is shared memory of a fixed size, allocated when the gateway starts.
function checkStatsSlots(endpoints: EndpointConfig[], findings: Finding[]): void {
  const backends = endpoints.reduce(
    (sum, endpoint) => sum + (Array.isArray(endpoint.backend) ? endpoint.backend.length : 0),
    0,
  )
  const slots = endpoints.length + backends
  if (slots <= MAX_CONFIG_STATS_SLOTS) return
  findings.push({
    severity: 'error',
    path: ['endpoints'],
    message: `the config needs ${slots} stats slots (${endpoints.length} endpoints plus ${backends} backends), above the limit of ${MAX_CONFIG_STATS_SLOTS}; split the endpoints over several gateways`,
  })
}

function checkHosts(hosts: string[], at: PathSegment[], findings: Finding[]): void {
  hosts.forEach((host, index) => {
    if (!HOST.test(host)) {
      findings.push({
        severity: 'error',
        path: [...at, index],
        message: `host '${host}' is invalid; write a scheme, name and optional port such as http://127.0.0.1:8000, with no path`,
      })
    }
  })
}

function checkDurations(
  node: Pick<ServiceConfig, 'timeout' | 'cache_ttl' | 'extra_config'>,
  at: PathSegment[],
  findings: Finding[],
): void {
  for (const key of ['timeout', 'cache_ttl'] as const) {
    const value = node[key]
    // A number out of range is a schema error already, and 0 means the same in every unit.
    if (typeof value === 'number' && Number.isFinite(value) && value !== 0) {
      findings.push({
        severity: 'warning',
        path: [...at, key],
        message: `bare number ${value} is read as nanoseconds, as KrakenD does; write a string such as "${value}s" if you meant seconds`,
      })
    }
  }
  const report = (key: PathSegment[], message: string) =>
    findings.push({ severity: 'error', path: [...at, ...key], message })
  checkTimeoutBounds(node.timeout, (message) => report(['timeout'], message))
  checkCacheTtlBounds(node.cache_ttl, (message) => report(['cache_ttl'], message))
  const drain = node.extra_config?.['tailgate/hedging']?.loser_drain
  if (drain !== undefined && durationMs(drain) > MAX_TIMEOUT_MS) {
    report(
      ['extra_config', 'tailgate/hedging', 'loser_drain'],
      `must be at most "${MAX_TIMEOUT_TEXT}"; got ${JSON.stringify(drain)}`,
    )
  }
}

// A timer of 0 ms, or of more than 2^31 - 1 ms, fires at once, so either value would make every
// request time out.
function checkTimeoutBounds(value: string | number | undefined, report: (message: string) => void) {
  if (value === undefined) return
  const ms = durationMs(value)
  if (ms === 0) report(`must be greater than 0; got ${JSON.stringify(value)}`)
  if (ms > MAX_TIMEOUT_MS) {
    report(`must be at most "${MAX_TIMEOUT_TEXT}"; got ${JSON.stringify(value)}`)
  }
}

// The value becomes `Cache-Control: max-age=<seconds>`, which takes whole seconds. A bare number
// of nanoseconds is truncated to seconds, as KrakenD does, so only a string must be whole.
function checkCacheTtlBounds(
  value: string | number | undefined,
  report: (message: string) => void,
) {
  if (value === undefined) return
  const ms = durationMs(value)
  if (typeof value === 'string' && !isWholeSeconds(ms)) {
    report(`must be a whole number of seconds such as "60s"; got ${JSON.stringify(value)}`)
  } else if (ms / 1000 > MAX_CACHE_TTL_SECONDS) {
    report(
      `must be at most "${MAX_CACHE_TTL_SECONDS}s" (about 68 years); got ${JSON.stringify(value)}`,
    )
  }
}

// Milliseconds of a duration, or NaN when the schema already reports it as invalid or out of
// range, so that no bound check fires on it.
function durationMs(value: string | number): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value / 1e6 : NaN
  return parseDuration(value) ?? NaN
}

// Two endpoints must not put differently named parameters at the same place of the same prefix
// (`/users/{id}` and `/users/{uid}/posts`), whatever their methods: the router (Elysia's
// memoirist) keeps one tree for all methods, so it cannot register both and throws at startup.
// Duplicate method+path pairs are reported here as well.
function checkRouteConflicts(config: ServiceConfig, findings: Finding[]): void {
  const seen = new Map<string, number>()
  const paramNames = new Map<string, { name: string; index: number }>()
  const endpoints = config.endpoints ?? []
  endpoints.forEach((endpoint, index) => {
    const method = (endpoint.method ?? 'GET').toUpperCase()
    const key = `${method} ${endpoint.endpoint}`
    // The router serves `/users/` and `/users` as one route.
    const route = `${method} ${withoutTrailingSlash(endpoint.endpoint)}`
    const first = seen.get(route)
    if (first !== undefined) {
      findings.push({
        severity: 'error',
        path: ['endpoints', index],
        message: describeDuplicate(key, endpoints[first]!, first),
      })
      return
    }
    seen.set(route, index)
    const segments = endpoint.endpoint.split('/')
    segments.forEach((segment, position) => {
      const param = /^\{([\w-]+)\}$/.exec(segment)?.[1]
      if (!param) return
      const prefix = segments.slice(0, position).join('/')
      const other = paramNames.get(prefix)
      if (other && other.name !== param) {
        const otherEndpoint = endpoints[other.index]!
        const otherName = `${(otherEndpoint.method ?? 'GET').toUpperCase()} ${otherEndpoint.endpoint}`
        findings.push({
          severity: 'error',
          path: ['endpoints', index, 'endpoint'],
          message: `parameter {${param}} of ${key} conflicts with {${other.name}} of ${otherName} at endpoints[${other.index}].endpoint; the router shares parameter names across methods, so use the same name at the same place`,
        })
      } else if (!other) {
        paramNames.set(prefix, { name: param, index })
      }
    })
  })
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

function describeDuplicate(key: string, first: EndpointConfig, firstIndex: number): string {
  const firstKey = `${(first.method ?? 'GET').toUpperCase()} ${first.endpoint}`
  if (firstKey === key) {
    return `duplicate endpoint ${key}; it is already defined at endpoints[${firstIndex}]`
  }
  return `duplicate endpoint ${key}; ${firstKey} at endpoints[${firstIndex}] matches the same requests, because the router ignores a trailing slash`
}
