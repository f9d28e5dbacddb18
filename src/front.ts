import { Elysia } from 'elysia'
import type { Server } from 'bun'
import type { EndpointPlan } from './plan.ts'
import type { PlanSet, Task, TaskResult } from './messages.ts'
import type { Dispatcher } from './pool.ts'
import type { StatsRegistry } from './stats.ts'
import { ErrorCode, errorResponse } from './errors.ts'
import { log } from './log.ts'
import { connectionListed, HOP_BY_HOP } from './hop-by-hop.ts'
import { GatewayMetrics } from './telemetry/metrics.ts'
import type { ServerTracing, TaskTraceContext } from './telemetry/server-tracing.ts'

// The HTTP front: one Elysia route per endpoint and method. A handler reduces the request to a
// task (path params, the allowed query and headers, the body) and hands it to the dispatcher.

// Methods that get 405 and Allow on a configured path that lacks them.
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
// Hop-by-hop headers are never forwarded; fetch sets Host and Content-Length for the backend.
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'content-length'])

export interface FrontState {
  planSet: PlanSet
  dispatcher: Dispatcher
  stats: StatsRegistry
  /** Set when tracing is on; null or absent makes no span and no trace context. */
  tracing?: ServerTracing | null
  /** Serves /__metrics; one instance is shared by the apps of every plan generation. */
  metrics?: GatewayMetrics
}

/** Builds the Elysia app that serves a plan set. */
export function buildApp(state: FrontState): Elysia {
  const app = new Elysia()
  app.get('/__stats', () => Response.json(state.stats.snapshot(state.planSet.endpoints)))
  const metrics = state.metrics ?? new GatewayMetrics(state)
  app.get('/__metrics', () => metrics.scrape(state.planSet.endpoints))

  const methodsByPath = new Map<string, string[]>()
  state.planSet.endpoints.forEach((plan, index) => {
    const route = toRouterPath(plan.path)
    app.route(plan.method, route, createHandler(state, plan, index))
    methodsByPath.set(route, [...(methodsByPath.get(route) ?? []), plan.method])
  })
  // The gateway's own paths serve GET only (/__health is added with the app's other routes).
  for (const path of ['/__stats', '/__metrics', '/__health']) methodsByPath.set(path, ['GET'])
  for (const [route, allowed] of methodsByPath) {
    for (const method of METHODS) {
      if (allowed.includes(method)) continue
      // The router prefers a static segment to a parameter, so a 405 here would hide another
      // endpoint of this method whose parameter route also matches this path.
      const shadowed = [...methodsByPath].some(
        ([other, methods]) => methods.includes(method) && routeCovers(other, route),
      )
      if (shadowed) continue
      app.route(method, route, ({ request }) => methodNotAllowed(request, allowed))
    }
  }

  app.onError(({ code, request, error }) => {
    if (code === 'NOT_FOUND') {
      const path = new URL(request.url).pathname
      // Methods without a route of their own (HEAD, TRACE, any other token) end up here too.
      const allowed = allowedMethodsFor(methodsByPath, path)
      if (allowed.length > 0) return methodNotAllowed(request, allowed)
      return errorResponse(404, {
        code: ErrorCode.ROUTE_NOT_FOUND,
        message: `no endpoint matches ${request.method} ${path}`,
      })
    }
    log.error(
      { err: error, method: request.method, url: request.url },
      'request failed in the gateway',
    )
    return errorResponse(500, { code: ErrorCode.INTERNAL, message: 'internal gateway error' })
  })
  return app
}

function methodNotAllowed(request: Request, allowed: readonly string[]): Response {
  return errorResponse(
    405,
    {
      code: ErrorCode.METHOD_NOT_ALLOWED,
      message: `${request.method} is not allowed on ${new URL(request.url).pathname}; allowed: ${allowed.join(', ')}`,
    },
    { allow: allowed.join(', ') },
  )
}

/** Lists the methods of every route that matches a request path, with parameters as wildcards. */
function allowedMethodsFor(methodsByPath: Map<string, string[]>, path: string): string[] {
  const segments = path.split('/')
  const allowed = new Set<string>()
  for (const [route, methods] of methodsByPath) {
    const routeSegments = route.split('/')
    if (routeSegments.length !== segments.length) continue
    const matches = routeSegments.every(
      (segment, i) => segment.startsWith(':') || segment === segments[i],
    )
    if (matches) for (const method of methods) allowed.add(method)
  }
  return [...allowed]
}

/** Tells whether a router path with parameters matches every request that `route` matches. */
function routeCovers(pattern: string, route: string): boolean {
  const patternSegments = pattern.split('/')
  const routeSegments = route.split('/')
  if (patternSegments.length !== routeSegments.length) return false
  return patternSegments.every(
    (segment, i) =>
      segment === routeSegments[i] ||
      (segment.startsWith(':') && !routeSegments[i]!.startsWith(':')),
  )
}

/** `/users/{id}` → `/users/:id`. */
export function toRouterPath(path: string): string {
  return path.replace(/\{([\w-]+)\}/g, ':$1')
}

type HandlerContext = {
  request: Request
  params: Record<string, string>
  server: Server<unknown> | null
}

function createHandler(state: FrontState, plan: EndpointPlan, index: number) {
  const generation = state.planSet.generation
  const forwardsQuery = plan.inputQuery === '*' || plan.inputQuery.length > 0
  const hasBody = plan.method !== 'GET'

  const handle = async (
    request: Request,
    params: Record<string, string>,
    server: HandlerContext['server'],
    trace?: TaskTraceContext,
  ): Promise<Response> => {
    if (plan.params.length > 0 && !hasValidEscapes(request.url)) return badEscape(request.url)
    const values: string[] = []
    for (const name of plan.params) {
      const value = params[name] ?? ''
      if (value === '.' || value === '..') return badParam(name, value)
      values.push(value)
    }
    const task: Task = {
      generation,
      endpoint: index,
      params: values,
      query: forwardsQuery ? allowedQuery(request.url, plan.inputQuery) : [],
      headers: allowedHeaders(request.headers, plan.inputHeaders),
      body: hasBody ? new Uint8Array(await request.arrayBuffer()) : null,
      clientIp: server?.requestIP(request)?.address ?? '',
      host: request.headers.get('host') ?? '',
      accept: request.headers.get('accept') ?? '',
    }
    if (trace?.traceparent) task.traceparent = trace.traceparent
    if (trace?.tracestate) task.tracestate = trace.tracestate
    return toResponse(await state.dispatcher.run(task))
  }

  // Elysia reads a handler's source to decide which context fields to build, so each route
  // handler destructures the fields that `handle` uses.
  const tracing = state.tracing
  if (!tracing) {
    return ({ request, params, server }: HandlerContext) => handle(request, params, server)
  }
  return ({ request, params, server }: HandlerContext) => {
    const clientAddress = server?.requestIP(request)?.address
    return tracing.traceRequest(request, clientAddress, plan, (trace) =>
      handle(request, params, server, trace),
    )
  }
}

// The router decodes an invalid escape (`%zz`, a lone `%`, bytes that are not UTF-8) into U+FFFD,
// which would reach the backend as different data from what the client sent.
function hasValidEscapes(url: string): boolean {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const end = url.indexOf('?', start)
  const path = end < 0 ? url.slice(start) : url.slice(start, end)
  if (!path.includes('%')) return true
  try {
    decodeURIComponent(path)
    return true
  } catch {
    return false
  }
}

function badEscape(url: string): Response {
  return errorResponse(400, {
    code: ErrorCode.BAD_PATH_PARAM,
    message: `the request path ${new URL(url).pathname} has an invalid percent-encoding; encode each byte as %XX of its UTF-8`,
  })
}

function badParam(name: string, value: string): Response {
  return errorResponse(400, {
    code: ErrorCode.BAD_PATH_PARAM,
    message: `path parameter '${name}' must not be '${value}': dot segments would change the backend path`,
  })
}

function allowedQuery(url: string, allowed: string[] | '*'): string[] {
  const at = url.indexOf('?')
  if (at < 0) return []
  const pairs: string[] = []
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    if (allowed === '*' || allowed.includes(name)) pairs.push(name, value)
  }
  return pairs
}

function allowedHeaders(headers: Headers, allowed: string[] | '*'): string[] {
  const pairs: string[] = []
  const listed = connectionListed(headers)
  const forwardable = (name: string) => !NOT_FORWARDED.has(name) && !listed.includes(name)
  if (allowed === '*') {
    headers.forEach((value, name) => {
      if (forwardable(name)) pairs.push(name, value)
    })
    return pairs
  }
  for (const name of allowed) {
    if (!forwardable(name)) continue
    const value = headers.get(name)
    if (value !== null) pairs.push(name, value)
  }
  return pairs
}

export function toResponse(result: TaskResult): Response {
  return new Response(result.body, { status: result.status, headers: result.headers })
}
