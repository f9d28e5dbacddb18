import type { PathSegment } from './problems.ts'
import type { Finding } from './rules.ts'
import type {
  BackendConfig,
  BackendHttpConfig,
  BackendProxyConfig,
  EndpointConfig,
  EndpointProxyConfig,
  FlatmapOperationConfig,
  ServiceConfig,
} from './schema.ts'
import {
  hasEnoughArgs,
  isSequential,
  JWT_PLACEHOLDER,
  readNamespace,
  RESPONSE_PLACEHOLDER,
  STATIC_STRATEGIES,
} from './extra-config.ts'
import { NAMESPACE_ALIASES } from './krakend-names.ts'
import { ENCODINGS, OUTPUT_ENCODINGS } from './encodings.ts'

// Rules for KrakenD features whose values the schema accepts but where KrakenD silently falls
// back, ignores a setting, or would fail at run time. Where KrakenD falls back, Tailgate does the
// same and warns; where KrakenD would fail on a request, the config is rejected.

const ENCODING_NAMES = new Set<string>(ENCODINGS)
const OUTPUT_ENCODING_NAMES = new Set<string>(OUTPUT_ENCODINGS)
const FLATMAP_TYPES = new Set(['move', 'del', 'append'])

type Report = (severity: Finding['severity'], path: PathSegment[], message: string) => void

/** Checks the service-level settings of KrakenD features. */
export function checkServiceCompat(config: ServiceConfig, report: Report): void {
  checkOutputEncoding(config.output_encoding, ['output_encoding'], report)
  checkAliases(config.extra_config, ['extra_config'], report)
}

/** Checks one endpoint's KrakenD features: encodings, proxy namespace, backends. */
export function checkEndpointCompat(
  endpoint: EndpointConfig,
  at: PathSegment[],
  report: Report,
): void {
  checkOutputEncoding(endpoint.output_encoding, [...at, 'output_encoding'], report)
  checkAliases(endpoint.extra_config, [...at, 'extra_config'], report)
  const proxy = readNamespace<EndpointProxyConfig>(endpoint.extra_config, 'proxy')
  if (proxy) checkEndpointProxy(endpoint, proxy, [...at, 'extra_config', 'proxy'], report)
  endpoint.backend.forEach((backend, index) =>
    checkBackendCompat(backend, [...at, 'backend', index], report),
  )
}

/**
 * Checks a url_pattern placeholder that is not an endpoint parameter: `{respN_x}` is filled in a
 * sequential endpoint from an earlier backend, `{JWT.x}` never. Anything else is an error.
 */
export function checkPlaceholder(
  name: string,
  endpoint: EndpointConfig,
  backendIndex: number,
  at: PathSegment[],
  report: Report,
): void {
  const response = RESPONSE_PLACEHOLDER.exec(name)
  if (response) {
    const source = Number(response[1])
    const proxy = readNamespace<EndpointProxyConfig>(endpoint.extra_config, 'proxy')
    if (!isSequential(proxy) || endpoint.backend.length < 2) {
      report(
        'warning',
        at,
        `placeholder {${name}} is filled only when extra_config.proxy.sequential is true and the endpoint has several backends; the text {${name}} is sent as is`,
      )
    } else if (source >= backendIndex) {
      report(
        'warning',
        at,
        `placeholder {${name}} refers to backend ${source}, which does not run before backend ${backendIndex}; the text {${name}} is sent as is`,
      )
    }
    return
  }
  if (JWT_PLACEHOLDER.test(name)) {
    report(
      'warning',
      at,
      `placeholder {${name}} needs JWT validation, which Tailgate does not have; the text {${name}} is sent as is`,
    )
    return
  }
  const params = endpoint.endpoint.match(/\{[^{}]+\}/g) ?? []
  report(
    'error',
    at,
    `placeholder {${name}} is not a parameter of endpoint ${(endpoint.method ?? 'GET').toUpperCase()} ${endpoint.endpoint}; defined parameters: ${params.join(', ') || 'none'}`,
  )
}

function checkBackendCompat(backend: BackendConfig, at: PathSegment[], report: Report): void {
  const encoding = backend.encoding
  if (encoding !== undefined && encoding.toLowerCase() === 'rss') {
    report(
      'warning',
      [...at, 'encoding'],
      'encoding "rss" is not supported by Tailgate; the body is decoded as json, so an RSS or Atom feed fails to decode',
    )
  } else if (encoding !== undefined && !ENCODING_NAMES.has(encoding.toLowerCase())) {
    report(
      'warning',
      [...at, 'encoding'],
      `encoding "${encoding}" is unknown; the body is decoded as json, as KrakenD does for an unknown name`,
    )
  }
  if (backend.timeout !== undefined) {
    report(
      'warning',
      [...at, 'timeout'],
      "a backend timeout is ignored, as in KrakenD; the endpoint's timeout applies",
    )
  }
  checkAliases(backend.extra_config, [...at, 'extra_config'], report)

  const http = readNamespace<BackendHttpConfig>(backend.extra_config, 'backend/http')
  if (http?.return_error_code && http.return_error_details !== undefined) {
    report(
      'warning',
      [...at, 'extra_config', 'backend/http', 'return_error_code'],
      'return_error_code is ignored because return_error_details is set, as in KrakenD',
    )
  }

  const proxy = readNamespace<BackendProxyConfig>(backend.extra_config, 'proxy')
  if (!proxy?.flatmap_filter) return
  const flatmapAt = [...at, 'extra_config', 'proxy', 'flatmap_filter']
  const active = checkFlatmap(proxy.flatmap_filter, flatmapAt, report)
  for (const key of ['allow', 'deny', 'mapping'] as const) {
    if (active && backend[key] !== undefined) {
      report(
        'warning',
        [...at, key],
        `${key} is ignored because the backend has a flatmap_filter, as in KrakenD`,
      )
    }
  }
}

function checkEndpointProxy(
  endpoint: EndpointConfig,
  proxy: EndpointProxyConfig,
  at: PathSegment[],
  report: Report,
): void {
  const single = endpoint.backend.length < 2
  if (isSequential(proxy) && single) {
    report('warning', [...at, 'sequential'], 'sequential has no effect with a single backend')
  }
  if (proxy.flatmap_filter) {
    const active = checkFlatmap(proxy.flatmap_filter, [...at, 'flatmap_filter'], report)
    if (active && single) {
      report(
        'warning',
        [...at, 'flatmap_filter'],
        "an endpoint-level flatmap_filter applies only with two or more backends, as in KrakenD; move it into the backend's extra_config.proxy",
      )
    }
  }
  const strategy = proxy.static?.strategy
  if (strategy !== undefined && !STATIC_STRATEGIES.some((name) => name === strategy)) {
    report(
      'warning',
      [...at, 'static', 'strategy'],
      `unknown static strategy "${strategy}" behaves as "always", as in KrakenD; use one of ${STATIC_STRATEGIES.join(', ')}`,
    )
  }
  if (proxy.sequential_propagated_params !== undefined) {
    report(
      'warning',
      [...at, 'sequential_propagated_params'],
      'sequential_propagated_params is ignored: it only feeds plugins and Lua scripts, which Tailgate does not have',
    )
  }
  if (proxy.combiner !== undefined && proxy.combiner !== 'default') {
    report(
      'warning',
      [...at, 'combiner'],
      `combiner "${proxy.combiner}" is not available; the default merge is used, as in KrakenD for an unregistered combiner`,
    )
  }
}

/** Checks flatmap operations; returns whether at least one of them will run. */
function checkFlatmap(
  ops: readonly FlatmapOperationConfig[],
  at: PathSegment[],
  report: Report,
): boolean {
  let active = false
  ops.forEach((op, index) => {
    const opAt = [...at, index]
    if (!FLATMAP_TYPES.has(op.type)) {
      report(
        'warning',
        [...opAt, 'type'],
        `flatmap operation type "${op.type}" is unknown and ignored, as in KrakenD; use move, del or append`,
      )
      return
    }
    if (!hasEnoughArgs(op)) {
      report(
        'error',
        [...opAt, 'args'],
        `flatmap ${op.type} needs ${op.type === 'del' ? 'at least one path' : 'two paths, [source, destination]'}; got ${op.args.length}`,
      )
      return
    }
    active = true
    if (op.type !== 'del') checkMovePaths(op, opAt, report)
  })
  return active
}

function checkMovePaths(op: FlatmapOperationConfig, at: PathSegment[], report: Report): void {
  if (op.args.length > 2) {
    report(
      'warning',
      [...at, 'args'],
      `flatmap ${op.type} uses only its first two paths; the other ${op.args.length - 2} are ignored`,
    )
  }
  const [source, destination] = [op.args[0]!.split('.'), op.args[1]!.split('.')]
  if (op.type === 'move' && source[source.length - 1] === '*') {
    report(
      'warning',
      [...at, 'args', 0],
      'a move whose source ends with * moves nothing, as in KrakenD; name the key to move',
    )
  }
  if (op.type === 'append' && destination.includes('*')) {
    report(
      'error',
      [...at, 'args', 1],
      `the destination of append must be a path without *; got "${op.args[1]}"`,
    )
  }
  if (op.type === 'move' && destination.slice(source.length).includes('*')) {
    report(
      'warning',
      [...at, 'args', 1],
      `a * in the destination beyond the source's length has no key to take, so it is used as the key "*"`,
    )
  }
}

function checkOutputEncoding(name: string | undefined, at: PathSegment[], report: Report): void {
  if (name !== undefined && !OUTPUT_ENCODING_NAMES.has(name)) {
    report(
      'warning',
      at,
      `output_encoding "${name}" is not supported; responses are rendered as json, as KrakenD does for an unknown name`,
    )
  }
}

// KrakenD CE renames a long namespace name to its short one, overwriting the short entry.
function checkAliases(extra: object | undefined, at: PathSegment[], report: Report): void {
  if (!extra) return
  for (const [long, short] of Object.entries(NAMESPACE_ALIASES)) {
    if (long in extra && short in extra) {
      report(
        'warning',
        [...at, short],
        `"${short}" is ignored because its alias "${long}" is also set, as in KrakenD`,
      )
    }
  }
}
