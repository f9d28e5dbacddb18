import type { Server } from 'bun'

// A real HTTP backend on 127.0.0.1 whose replies are scripted per call, in arrival order, so
// that a test can script "the first call fails, the second replies after 20 ms".

export interface ScriptedReply {
  delayMs?: number
  status?: number
  body?: unknown
  /** Raw body text; wins over `body`. */
  text?: string
  headers?: Record<string, string>
}

export interface ReceivedRequest {
  method: string
  /** Path and query exactly as sent on the request line. */
  target: string
  headers: Record<string, string>
  body: string
  /** Arrival index of the call, from 0. */
  index: number
}

export interface ScriptedBackend {
  url: string
  host: string
  received: ReceivedRequest[]
  /** Calls whose client closed the connection before the reply was sent. */
  aborted: number[]
  /** Calls answered. */
  answered: number[]
  stop(): Promise<void>
}

/** Starts a backend; `script(index, request)` picks the reply of the call with that index. */
export function startScriptedBackend(
  script: (index: number, request: ReceivedRequest) => ScriptedReply,
): ScriptedBackend {
  const received: ReceivedRequest[] = []
  const aborted: number[] = []
  const answered: number[] = []
  const server: Server<unknown> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const call: ReceivedRequest = {
        method: request.method,
        target: rawTarget(request.url, url),
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
        index: received.length,
      }
      received.push(call)
      const reply = script(call.index, call)
      if (reply.delayMs) {
        const completed = await sleepUnlessAborted(reply.delayMs, request.signal)
        if (!completed) {
          aborted.push(call.index)
          return new Response(null, { status: 499 })
        }
      }
      answered.push(call.index)
      const text = reply.text ?? JSON.stringify(reply.body ?? { call: call.index })
      return new Response(text, {
        status: reply.status ?? 200,
        headers: { 'content-type': 'application/json', ...reply.headers },
      })
    },
  })
  const url = `http://127.0.0.1:${server.port}`
  return {
    url,
    host: url,
    received,
    aborted,
    answered,
    stop: () => server.stop(true),
  }
}

// Request.url is normalised by Bun; the path after the authority is kept as sent.
function rawTarget(href: string, url: URL): string {
  return href.slice(url.origin.length)
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const timer = setTimeout(() => resolve(true), ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}

/** Polls `condition` every 10 ms until it is true or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await Bun.sleep(10)
  }
  return condition()
}

/**
 * Sends one HTTP/1.1 request with the target exactly as given, which fetch would normalise
 * (for example `/users/%2E%2E`), and returns the status and body.
 */
export async function rawRequest(
  url: string,
  target: string,
  method = 'GET',
): Promise<{ status: number; body: string; head: string }> {
  const { hostname, port } = new URL(url)
  const { promise, resolve, reject } = Promise.withResolvers<string>()
  let received = ''
  await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      open(socket) {
        socket.write(
          `${method} ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`,
        )
      },
      data(_, chunk) {
        received += chunk.toString()
      },
      close() {
        resolve(received)
      },
      error(_, error) {
        reject(error)
      },
    },
  })
  const text = await promise
  const [head = '', body = ''] = text.split('\r\n\r\n')
  return { status: Number(head.split(' ')[1]), body, head }
}
