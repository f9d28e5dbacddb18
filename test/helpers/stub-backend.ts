import type { Server } from 'bun'

// Scripted HTTP backends on 127.0.0.1 for gateway tests. Each records the requests it receives.

export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  /** The query string as sent, without '?'. */
  rawQuery: string
  headers: Headers
  body: string
}

/** Builds the response to a request; `recorded.body` is the request body, already read. */
export type StubHandler = (
  request: Request,
  url: URL,
  recorded: RecordedRequest,
) => Response | Promise<Response>

export interface StubBackend {
  url: string
  requests: RecordedRequest[]
  stop(): Promise<void>
}

/** The body and content type Go's net/http writes for an unknown path. */
export const GO_NOT_FOUND = '404 page not found\n'
const TEXT_TYPE = 'text/plain; charset=utf-8'

/** Starts a backend whose handler responds to every request. */
export function startStubBackend(handler: StubHandler): StubBackend {
  const requests: RecordedRequest[] = []
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url)
      const at = request.url.indexOf('?')
      const recorded: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        rawQuery: at < 0 ? '' : request.url.slice(at + 1),
        headers: request.headers,
        body: await request.text(),
      }
      requests.push(recorded)
      return handler(request, url, recorded)
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => server.stop(true),
  }
}

/** Starts a backend that responds by exact path from a table, and with 404 to other paths. */
export function startRoutes(routes: Record<string, StubHandler | unknown>): StubBackend {
  return startStubBackend((request, url, recorded) => {
    const route = routes[url.pathname]
    if (route === undefined) return notFound()
    return typeof route === 'function'
      ? (route as StubHandler)(request, url, recorded)
      : json(route)
  })
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

export function notFound(): Response {
  return new Response(GO_NOT_FOUND, { status: 404, headers: { 'content-type': TEXT_TYPE } })
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** A loopback URL where nothing listens, for backends that must fail to connect. */
export async function closedPortUrl(): Promise<string> {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
  const url = `http://127.0.0.1:${server.port}`
  await server.stop(true)
  return url
}
