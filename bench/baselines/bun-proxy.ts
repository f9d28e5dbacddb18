/**
 * The smallest Bun gateway that produces Tailgate's output for the bench configs, as the
 * throughput floor for any Bun gateway:
 * `bun bench/baselines/bun-proxy.ts --config FILE --port N [--passthrough]`.
 *
 * Each endpoint fetches its first backend `concurrent_calls` times, keeps the first 2xx with
 * `Promise.any` and aborts the rest, then wraps an array body as `{collection: body}` like the
 * `mapping` of a safejson backend. `--passthrough` skips the JSON work and returns the body bytes
 * as received. No validation, no worker threads, no stats.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parseDurationMs } from '../market-config.ts'
import type { MarketConfig, MarketEndpoint } from '../market-config.ts'

interface Route {
  url: string
  calls: number
  collection: string | undefined
  headers: string[]
  timeoutMs: number
}

function toRoute(endpoint: MarketEndpoint, timeoutMs: number): Route {
  const backend = endpoint.backend[0]!
  return {
    url: `${backend.host[0]}${backend.url_pattern}`,
    calls: Math.max(1, endpoint.concurrent_calls ?? 1),
    collection: backend.mapping.collection,
    headers: endpoint.input_headers,
    timeoutMs,
  }
}

async function fetchOk(route: Route, headers: Headers, signal: AbortSignal) {
  const response = await fetch(route.url, { headers, signal })
  if (!response.ok) {
    await response.arrayBuffer()
    throw new Error(`backend returned ${response.status}`)
  }
  return response
}

async function race(route: Route, request: Request): Promise<Response> {
  const headers = new Headers()
  for (const name of route.headers) {
    const value = request.headers.get(name)
    if (value !== null) headers.set(name, value)
  }
  const timeout = AbortSignal.timeout(route.timeoutMs)
  if (route.calls === 1) return fetchOk(route, headers, timeout)

  // One controller per attempt, because aborting the losers must not cut the winner's body.
  const controllers = Array.from({ length: route.calls }, () => new AbortController())
  const attempts = controllers.map(async (controller, index) => {
    const signal = AbortSignal.any([controller.signal, timeout])
    return { index, response: await fetchOk(route, headers, signal) }
  })
  const winner = await Promise.any(attempts)
  controllers.forEach((controller, index) => index !== winner.index && controller.abort())
  return winner.response
}

async function handle(route: Route, request: Request, passthrough: boolean) {
  try {
    const response = await race(route, request)
    if (passthrough)
      return new Response(await response.arrayBuffer(), { headers: response.headers })

    const body = await response.json()
    const mapped = Array.isArray(body) && route.collection ? { [route.collection]: body } : body
    return Response.json(mapped)
  } catch {
    return Response.json({ error: 'all backend calls failed' }, { status: 500 })
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      passthrough: { type: 'boolean', default: false },
    },
  })
  if (!values.config || !values.port) {
    console.error('usage: bun bench/baselines/bun-proxy.ts --config FILE --port N [--passthrough]')
    process.exit(2)
  }

  const config = JSON.parse(readFileSync(values.config, 'utf8')) as MarketConfig
  const timeoutMs = parseDurationMs(config.timeout)
  const routes = new Map(config.endpoints.map((e) => [e.endpoint, toRoute(e, timeoutMs)]))
  const passthrough = values.passthrough

  Bun.serve({
    hostname: '127.0.0.1',
    port: Number(values.port),
    development: false,
    fetch(request) {
      const path = request.url.slice(request.url.indexOf('/', 8)).split('?')[0]!
      const route = routes.get(path)
      if (!route) return Response.json({ error: 'not found' }, { status: 404 })
      return handle(route, request, passthrough)
    },
  })
  console.log(JSON.stringify({ msg: 'bun proxy listening', port: Number(values.port) }))
}
