import { NAMESPACE_ALIASES } from './krakend-names.ts'
import type { EndpointProxyConfig, FlatmapOperationConfig } from './schema.ts'

// Reading KrakenD's extra_config namespaces into plan data: flatmap operations, static data and
// the merge strategy. Shared by the plan compiler and the config rules.

export type FlatmapOpType = 'move' | 'del' | 'append'

/** A flatmap_filter operation with its dot paths split into steps. */
export interface FlatmapOp {
  type: FlatmapOpType
  args: string[][]
}

export type StaticStrategy = 'always' | 'success' | 'errored' | 'complete' | 'incomplete'
export const STATIC_STRATEGIES: readonly StaticStrategy[] = [
  'always',
  'success',
  'errored',
  'complete',
  'incomplete',
]

/** Data that `proxy.static` copies over the response, and when. */
export interface StaticPlan {
  data: Record<string, unknown>
  strategy: StaticStrategy
}

const FLATMAP_TYPES = new Set<string>(['move', 'del', 'append'])
const LONG_NAMES = new Map(Object.entries(NAMESPACE_ALIASES).map(([long, short]) => [short, long]))

/**
 * Reads a namespace from an extra_config object by its short name. KrakenD CE renames the long
 * alias to the short name, overwriting it, so the long form wins when both are present.
 */
export function readNamespace<T>(extra: object | undefined, name: string): T | undefined {
  if (!extra) return undefined
  const values = extra as Record<string, unknown>
  const long = LONG_NAMES.get(name)
  return (long !== undefined && long in values ? values[long] : values[name]) as T | undefined
}

/** Tells whether an operation has the arguments its type needs (move and append take two). */
export function hasEnoughArgs(op: FlatmapOperationConfig): boolean {
  return op.type === 'del' ? op.args.length > 0 : op.args.length >= 2
}

/**
 * Compiles flatmap_filter operations. As in KrakenD, an operation of another type is skipped and
 * a list without a known operation means no flatmap at all (null), which lets allow, deny and
 * mapping apply again. The config rules report both cases.
 */
export function compileFlatmap(
  ops: readonly FlatmapOperationConfig[] | undefined,
): FlatmapOp[] | null {
  const known = (ops ?? []).filter((op) => FLATMAP_TYPES.has(op.type) && hasEnoughArgs(op))
  if (known.length === 0) return null
  return known.map((op) => ({
    type: op.type as FlatmapOpType,
    args: op.args.map((path) => path.split('.')),
  }))
}

/** Compiles `proxy.static`; an unknown strategy behaves as `always`, as in KrakenD. */
export function compileStatic(proxy: EndpointProxyConfig | undefined): StaticPlan | null {
  const config = proxy?.static
  if (!config) return null
  const strategy = STATIC_STRATEGIES.find((name) => name === config.strategy) ?? 'always'
  return { data: config.data, strategy }
}

/**
 * Tells whether an endpoint's backends run one after another. Lura reads `strategy` when it is
 * set and the older `sequential` flag otherwise.
 */
export function isSequential(proxy: EndpointProxyConfig | undefined): boolean {
  if (proxy?.strategy !== undefined) return proxy.strategy === 'sequential'
  return proxy?.sequential === true
}

/** `{resp0_path}` in a url_pattern: the value at `path` in backend 0's response. */
export const RESPONSE_PLACEHOLDER = /^resp(\d+)_([\w.-]+)$/
/** `{JWT.claim}` in a url_pattern: a claim of the validated token, which Tailgate does not have. */
export const JWT_PLACEHOLDER = /^JWT\.[\w\-.:/]+$/
