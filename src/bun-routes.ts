import type { Elysia } from 'elysia'
import { createBunRouteHandler } from 'elysia/adapter/bun/compose'

// Builds the `routes` table of Bun.serve for an Elysia app, as Elysia's own listen() does
// (elysia 1.4, src/adapter/bun/index.ts, mapRoutes), so that a running server can be switched to
// another app with server.reload(). Bun's router matches the path as the client sent it, before
// Bun removes dot segments from `request.url`; a parameter such as `..` therefore reaches the
// endpoint handler, which rejects it with 400. Elysia's fetch handler would instead route the
// normalised URL. Requests that match no route here (HEAD, unknown paths) go to the app's fetch.

const NATIVE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH', 'POST', 'PUT'])

export type RouteHandler = (request: Request) => Response | Promise<Response>
export type RouteTable = Record<string, Record<string, RouteHandler>>

/** Compiles every plain route of `app` into a Bun route handler, keyed by path and method. */
export function buildBunRoutes(app: Elysia): RouteTable {
  const routes: RouteTable = {}
  for (const route of app.routes) {
    if (!NATIVE_METHODS.has(route.method) || typeof route.handler !== 'function') continue
    if (route.path.endsWith('*')) continue
    // Elysia accepts '/users/' and '/users' alike; Bun's table takes the form without the slash.
    const path = trimTrailingSlash(encodeURI(route.path))
    const byMethod = (routes[path] ??= {})
    byMethod[route.method] ??= createBunRouteHandler(app, route) as RouteHandler
  }
  return routes
}

function trimTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
