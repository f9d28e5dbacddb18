import type { BackendConfig, EndpointConfig, ServiceConfig } from './config/schema.ts'
import { durationToMs } from './config/duration.ts'
import { endpointParams, normaliseHost } from './config/rules.ts'
import type { StatsRegistry } from './stats.ts'

// A plan is an endpoint compiled for execution: plain data that is posted to the workers once
// per config version, so that a task only carries what its request adds.

export const DEFAULT_TIMEOUT_MS = 2000
/** How long a losing attempt may run on after the winner; see workers/race.ts. */
export const DEFAULT_LOSER_DRAIN_MS = 0
/** Headers forwarded when an endpoint sets no input_headers, as KrakenD does. */
const DEFAULT_INPUT_HEADERS = ['content-type']

export type Encoding = 'json' | 'safejson' | 'string' | 'no-op'
export type OutputEncoding = 'json' | 'json-collection' | 'string' | 'no-op'

/** A url_pattern split into literal text and parameter indexes (into the endpoint's params). */
export type UrlTemplate = (string | number)[]

export interface BackendPlan {
  index: number
  hosts: string[]
  method: string
  /** Path part of url_pattern; parameters are percent-encoded into it. */
  path: UrlTemplate
  /** Query part of url_pattern (without '?'), kept before the client's allowed query. */
  query: UrlTemplate
  encoding: Encoding
  isCollection: boolean
  target: string[] | null
  allow: string[][] | null
  deny: string[][] | null
  mapping: [string, string][] | null
  group: string | null
  /** Backend-level filter applied after the endpoint's; null forwards all the endpoint allows. */
  inputHeaders: string[] | null
  inputQuery: string[] | null
  returnErrorCode: boolean
  returnErrorDetails: string | null
  statsSlot: number
}

export interface EndpointPlan {
  /** `METHOD /path`, the endpoint's name in stats, logs and errors. */
  key: string
  method: string
  path: string
  params: string[]
  timeoutMs: number
  concurrentCalls: number
  loserDrainMs: number
  /** Lower-case header names, or '*' for all. */
  inputHeaders: string[] | '*'
  inputQuery: string[] | '*'
  outputEncoding: OutputEncoding
  cacheTtlSeconds: number
  statsSlot: number
  backends: BackendPlan[]
}

/** Compiles a validated config into plans, assigning stats slots through the registry. */
export function compilePlans(config: ServiceConfig, stats: StatsRegistry): EndpointPlan[] {
  return (config.endpoints ?? []).map((endpoint) => compileEndpoint(config, endpoint, stats))
}

function compileEndpoint(
  config: ServiceConfig,
  endpoint: EndpointConfig,
  stats: StatsRegistry,
): EndpointPlan {
  const method = (endpoint.method ?? 'GET').toUpperCase()
  const key = `${method} ${endpoint.endpoint}`
  const params = endpointParams(endpoint.endpoint)
  const hedging = {
    ...config.extra_config?.['tailgate/hedging'],
    ...endpoint.extra_config?.['tailgate/hedging'],
  }
  const outputEncoding = endpoint.output_encoding ?? config.output_encoding ?? 'json'
  const timeout = endpoint.timeout ?? config.timeout
  const cacheTtl = endpoint.cache_ttl ?? config.cache_ttl

  return {
    key,
    method,
    path: endpoint.endpoint,
    params,
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : durationToMs(timeout),
    concurrentCalls: Math.max(1, endpoint.concurrent_calls ?? 1),
    loserDrainMs:
      hedging.loser_drain === undefined
        ? DEFAULT_LOSER_DRAIN_MS
        : durationToMs(hedging.loser_drain),
    inputHeaders: headerList(endpoint.input_headers) ?? DEFAULT_INPUT_HEADERS,
    inputQuery: queryList(endpoint.input_query_strings) ?? [],
    outputEncoding,
    cacheTtlSeconds: cacheTtl === undefined ? 0 : Math.floor(durationToMs(cacheTtl) / 1000),
    statsSlot: stats.slotFor(key),
    backends: endpoint.backend.map((backend, index) =>
      compileBackend(
        config,
        backend,
        index,
        params,
        outputEncoding,
        stats.slotFor(`${key} backend ${index}`),
        method,
      ),
    ),
  }
}

function compileBackend(
  config: ServiceConfig,
  backend: BackendConfig,
  index: number,
  params: string[],
  outputEncoding: OutputEncoding,
  statsSlot: number,
  endpointMethod: string,
): BackendPlan {
  const [pathPart, queryPart = ''] = splitOnce(backend.url_pattern, '?')
  const httpOptions = backend.extra_config?.['backend/http']
  return {
    index,
    hosts: (backend.host ?? config.host ?? []).map(normaliseHost),
    method: (backend.method ?? endpointMethod).toUpperCase(),
    path: compileTemplate(pathPart, params),
    query: compileTemplate(queryPart, params),
    // no-op output relays the backend response untouched, so its backend must not decode it.
    encoding: outputEncoding === 'no-op' ? 'no-op' : (backend.encoding ?? 'json'),
    isCollection: backend.is_collection ?? false,
    target: backend.target ? backend.target.split('.') : null,
    allow: backend.allow?.length ? backend.allow.map((path) => path.split('.')) : null,
    deny:
      !backend.allow?.length && backend.deny?.length
        ? backend.deny.map((path) => path.split('.'))
        : null,
    mapping: backend.mapping ? Object.entries(backend.mapping) : null,
    group: backend.group ?? null,
    inputHeaders: narrowingList(headerList(backend.input_headers)),
    inputQuery: narrowingList(queryList(backend.input_query_strings)),
    returnErrorCode: httpOptions?.return_error_code ?? false,
    returnErrorDetails: httpOptions?.return_error_details ?? null,
    statsSlot,
  }
}

/** Splits `a/{id}/b` into ['a/', 0, '/b'] where 0 is the index of `id` in the endpoint params. */
export function compileTemplate(pattern: string, params: string[]): UrlTemplate {
  const parts: UrlTemplate = []
  let last = 0
  for (const match of pattern.matchAll(/\{([^{}]+)\}/g)) {
    if (match.index > last) parts.push(pattern.slice(last, match.index))
    parts.push(params.indexOf(match[1]!))
    last = match.index + match[0].length
  }
  if (last < pattern.length) parts.push(pattern.slice(last))
  return parts
}

function headerList(names: readonly string[] | undefined): string[] | '*' | undefined {
  if (!names || names.length === 0) return undefined
  if (names.includes('*')) return '*'
  return names.map((name) => name.toLowerCase())
}

function queryList(names: readonly string[] | undefined): string[] | '*' | undefined {
  if (!names || names.length === 0) return undefined
  return names.includes('*') ? '*' : [...names]
}

// A backend-level list narrows the endpoint's; '*' or no list there narrows nothing.
function narrowingList(names: string[] | '*' | undefined): string[] | null {
  return names === undefined || names === '*' ? null : names
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator)
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)]
}
