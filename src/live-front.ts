import type { Elysia } from 'elysia'
import type { Server } from 'bun'
import { buildBunRoutes, type RouteHandler, type RouteTable } from './bun-routes.ts'

// The HTTP server, whose handlers can be switched to the Elysia app of a new plan generation.
// A swap calls Bun's server.reload() with the new app's routes. In Bun 1.4.5, requests that
// arrive afterwards are routed by the new app, and a request whose handler has already started
// keeps it to the end. So each request is served wholly by one plan generation. Every handler
// counts the requests inside its generation, which tells the reload when the old generation has
// no request left and can be retired.

interface FrontGeneration {
  app: Elysia
  generation: number
  routes: RouteTable
  fetch: RouteHandler
  inFlight: number
  /** Set once the generation is replaced; called when its last request has finished. */
  onDrained?: () => void
}

export interface ServeOptions {
  port: number
  hostname: string
}

// NOTE: Elysia's onStart and onStop hooks do not run, because the front calls Bun.serve itself
// instead of Elysia's listen().
//
// Elysia's listen() serves with an idle timeout of 30 s (Bun's default is 10 s) and reusePort.
// The front keeps the timeout but not reusePort, so that a second gateway on the same port fails
// with EADDRINUSE instead of sharing the port.
const IDLE_TIMEOUT_SECONDS = 30

export class LiveFront {
  private current: FrontGeneration
  private server: Server<unknown> | null = null

  constructor(app: Elysia, generation: number) {
    this.current = this.prepare(app, generation)
  }

  get generation(): number {
    return this.current.generation
  }

  /** Starts the HTTP server; throws as Bun.serve does, for example when the port is in use. */
  listen(options: ServeOptions): Server<unknown> {
    const { routes, fetch } = this.current
    this.server = Bun.serve({
      port: options.port,
      hostname: options.hostname,
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      routes,
      fetch,
    })
    this.current.app.server = this.server
    return this.server
  }

  /**
   * Routes new requests to `app` from now on. Resolves when the last request that entered the
   * previous app has finished, at once if there is none.
   */
  swap(app: Elysia, generation: number): Promise<void> {
    const previous = this.current
    const next = this.prepare(app, generation)
    this.current = next
    this.server?.reload({ routes: next.routes, fetch: next.fetch })
    if (previous.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => {
      previous.onDrained = resolve
    })
  }

  // Compiles the app's handlers now, so that the first requests after a swap do not wait for
  // it. Handlers read the client address through the app's `server`, which Elysia sets only in
  // its own listen().
  private prepare(app: Elysia, generation: number): FrontGeneration {
    app.server = this.server
    const entry: FrontGeneration = {
      app,
      generation,
      routes: {},
      fetch: () => Response.error(),
      inFlight: 0,
    }
    for (const [path, byMethod] of Object.entries(buildBunRoutes(app))) {
      entry.routes[path] = {}
      for (const [method, handler] of Object.entries(byMethod)) {
        entry.routes[path][method] = this.counted(entry, handler)
      }
    }
    entry.fetch = this.counted(entry, app.fetch as RouteHandler)
    return entry
  }

  private counted(entry: FrontGeneration, handler: RouteHandler): RouteHandler {
    return async (request) => {
      entry.inFlight++
      try {
        return await handler(request)
      } finally {
        entry.inFlight--
        if (entry.inFlight === 0) entry.onDrained?.()
      }
    }
  }
}
