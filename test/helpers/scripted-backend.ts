import type { Server } from 'bun'

// A JSON backend on 127.0.0.1 whose responses are scripted by arrival order: the n-th request
// (from 0) waits delayMs(n) and gets status(n). It records each request's headers.

export interface ScriptedBackendOptions {
  delayMs?: (n: number) => number
  status?: (n: number) => number
  body?: unknown
}

export interface ScriptedBackend {
  url: string
  requests: Headers[]
  stop(): Promise<void>
}

export function startScriptedBackend(options: ScriptedBackendOptions = {}): ScriptedBackend {
  const requests: Headers[] = []
  const server: Server<unknown> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const n = requests.length
      requests.push(request.headers)
      const delay = options.delayMs?.(n) ?? 0
      if (delay > 0) await Bun.sleep(delay)
      return Response.json(options.body ?? { ok: true }, { status: options.status?.(n) ?? 200 })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => server.stop(true),
  }
}
