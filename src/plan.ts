import type { BackendConfig, EndpointConfig, ServiceConfig } from './config/schema.ts'
import {
  ENCODINGS,
  OUTPUT_ENCODINGS,
  type Encoding,
  type OutputEncoding,
} from './config/encodings.ts'
import { cacheTtlToSeconds, durationToMs } from './config/duration.ts'
import { endpointParams, normaliseHost } from './config/rules.ts'
import {
  compileFlatmap,
  compileStatic,
  isSequential,
  readNamespace,
  RESPONSE_PLACEHOLDER,
  type FlatmapOp,
  type StaticPlan,
} from './config/extra-config.ts'
import type {
  BackendHttpConfig,
  BackendProxyConfig,
  EndpointProxyConfig,
  RouterConfig,
} from './config/schema.ts'
import type { StatsRegistry } from './stats.ts'

// A plan is an endpoint compiled for execution: plain data that is posted to the workers once
// per config version, so that a task only carries what its request adds.

export const DEFAULT_TIMEOUT_MS = 2000
/** How long a losing attempt may run on after the winner; see workers/race.ts. */
export const DEFAULT_LOSER_DRAIN_MS = 0
/** Headers forwarded when an endpoint sets no input_headers, as KrakenD does. */
const DEFAULT_INPUT_HEADERS = ['content-type']

export type { Encoding, OutputEncoding }

/**
 * A url_pattern split into literal text, parameter indexes (into the endpoint's params) and, in
 * a sequential endpoint, references to an earlier backend's response.
 */
export type UrlTemplate = (string | number | ResponseReference)[]

/** `{resp1_a.b}`: the value at path a.b of backend 1's manipulated response data. */
export interface ResponseReference {
  backend: number
  path: string[]
  /** The placeholder as written, sent as is when the value is missing (as KrakenD does). */
  text: string
}

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
  /** Replaces allow, deny and mapping when set, as in KrakenD. */
  flatmap: FlatmapOp[] | null
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
  /** Backends run one after another, each able to use the earlier responses in its URL. */
  sequential: boolean
  /** Flatmap over the merged data; only with two or more backends, as in KrakenD. */
  flatmap: FlatmapOp[] | null
  static: StaticPlan | null
  /** With return_error_code on a single backend, relay the backend's body and content type. */
  returnErrorMsg: boolean
  backends: BackendPlan[]
}

/**
 * Compiles a validated config into plans, assigning stats slots through the registry. `inUse`
 * lists the slots of plans still loaded, which must not be reused. Throws RangeError, with no
 * slot assigned, when the stats buffer has no room for the new keys.
 */
export function compilePlans(
  config: ServiceConfig,
  stats: StatsRegistry,
  inUse?: ReadonlySet<number>,
): EndpointPlan[] {
  const endpoints = config.endpoints ?? []
  const keys = endpoints.flatMap((endpoint) => {
    const key = endpointKey(endpoint)
    return [key, ...endpoint.backend.map((_, index) => backendKey(key, index))]
  })
  const slots = stats.assign(keys, inUse)
  return endpoints.map((endpoint) => compileEndpoint(config, endpoint, slots))
}

/** `METHOD /path`: the name of an endpoint in stats, logs and errors. */
function endpointKey(endpoint: EndpointConfig): string {
  return `${(endpoint.method ?? 'GET').toUpperCase()} ${endpoint.endpoint}`
}

function backendKey(endpointKey: string, index: number): string {
  return `${endpointKey} backend ${index}`
}

function compileEndpoint(
  config: ServiceConfig,
  endpoint: EndpointConfig,
  slots: ReadonlyMap<string, number>,
): EndpointPlan {
  const method = (endpoint.method ?? 'GET').toUpperCase()
  const key = endpointKey(endpoint)
  const params = endpointParams(endpoint.endpoint)
  const hedging = {
    ...config.extra_config?.['tailgate/hedging'],
    ...endpoint.extra_config?.['tailgate/hedging'],
  }
  const outputEncoding = knownOr(
    OUTPUT_ENCODINGS,
    endpoint.output_encoding ?? config.output_encoding,
    'json',
  )
  const timeout = endpoint.timeout ?? config.timeout
  const cacheTtl = endpoint.cache_ttl ?? config.cache_ttl
  const proxy = readNamespace<EndpointProxyConfig>(endpoint.extra_config, 'proxy')
  const router = readNamespace<RouterConfig>(config.extra_config, 'router')
  const sequential = isSequential(proxy) && endpoint.backend.length > 1

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
    cacheTtlSeconds: cacheTtl === undefined ? 0 : cacheTtlToSeconds(cacheTtl),
    statsSlot: slots.get(key)!,
    sequential,
    flatmap: endpoint.backend.length > 1 ? compileFlatmap(proxy?.flatmap_filter) : null,
    static: compileStatic(proxy),
    returnErrorMsg: router?.return_error_msg ?? false,
    backends: endpoint.backend.map((backend, index) =>
      compileBackend(
        config,
        backend,
        { index, params, sequential },
        outputEncoding,
        slots.get(backendKey(key, index))!,
        method,
      ),
    ),
  }
}

function compileBackend(
  config: ServiceConfig,
  backend: BackendConfig,
  context: TemplateContext,
  outputEncoding: OutputEncoding,
  statsSlot: number,
  endpointMethod: string,
): BackendPlan {
  const [pathPart, queryPart = ''] = splitOnce(backend.url_pattern, '?')
  const httpOptions = readNamespace<BackendHttpConfig>(backend.extra_config, 'backend/http')
  const flatmap = compileFlatmap(
    readNamespace<BackendProxyConfig>(backend.extra_config, 'proxy')?.flatmap_filter,
  )
  const filters: Pick<BackendConfig, 'allow' | 'deny' | 'mapping'> = flatmap ? {} : backend
  return {
    index: context.index,
    hosts: (backend.host ?? config.host ?? []).map(normaliseHost),
    method: (backend.method ?? endpointMethod).toUpperCase(),
    path: compileTemplate(pathPart, context),
    query: compileTemplate(queryPart, context),
    // no-op output relays the backend response untouched, so its backend must not decode it.
    // KrakenD lower-cases the name and decodes an unknown one as json.
    encoding:
      outputEncoding === 'no-op'
        ? 'no-op'
        : knownOr(ENCODINGS, backend.encoding?.toLowerCase(), 'json'),
    isCollection: backend.is_collection ?? false,
    target: backend.target ? backend.target.split('.') : null,
    allow: filters.allow?.length ? filters.allow.map((path) => path.split('.')) : null,
    deny:
      !filters.allow?.length && filters.deny?.length
        ? filters.deny.map((path) => path.split('.'))
        : null,
    mapping: filters.mapping ? Object.entries(filters.mapping) : null,
    group: backend.group ?? null,
    flatmap,
    inputHeaders: narrowingList(headerList(backend.input_headers)),
    inputQuery: narrowingList(queryList(backend.input_query_strings)),
    // KrakenD ignores return_error_code when return_error_details is set.
    returnErrorCode:
      (httpOptions?.return_error_code ?? false) && httpOptions?.return_error_details === undefined,
    returnErrorDetails: httpOptions?.return_error_details ?? null,
    statsSlot,
  }
}

/** The sources of a url_pattern's placeholders: the endpoint's params and earlier backends. */
export interface TemplateContext {
  params: string[]
  /** Index of the backend whose url_pattern this is. */
  index: number
  sequential: boolean
}

/**
 * Splits `a/{id}/b` into ['a/', 0, '/b'] where 0 is the index of `id` in the endpoint params.
 * In a sequential endpoint `{resp0_x}` becomes a reference to backend 0's response, when backend
 * 0 runs before this one. Any other placeholder, such as `{JWT.sub}`, stays literal text, as
 * KrakenD sends it when it has no value for it. The config rules warn about those.
 */
export function compileTemplate(pattern: string, context: TemplateContext): UrlTemplate {
  const parts: UrlTemplate = []
  let last = 0
  for (const match of pattern.matchAll(/\{([^{}]+)\}/g)) {
    if (match.index > last) parts.push(pattern.slice(last, match.index))
    parts.push(compilePlaceholder(match[1]!, match[0], context))
    last = match.index + match[0].length
  }
  if (last < pattern.length) parts.push(pattern.slice(last))
  return parts
}

function compilePlaceholder(name: string, text: string, context: TemplateContext) {
  const param = context.params.indexOf(name)
  if (param >= 0) return param
  const response = RESPONSE_PLACEHOLDER.exec(name)
  const backend = Number(response?.[1])
  if (response && context.sequential && backend < context.index) {
    return { backend, path: response[2]!.split('.'), text }
  }
  return text
}

function knownOr<T extends string>(known: readonly T[], name: string | undefined, fallback: T): T {
  return known.find((value) => value === name) ?? fallback
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
