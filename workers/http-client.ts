import type { HttpClientOptions } from '../src/messages.ts'

// The one place that decides how backend requests reach the network.
//
// Measured on Bun 1.4.5 (2-core x86_64, loopback backend): fetch keeps about 64 keep-alive
// sockets for the whole process, shared by all hosts and all worker threads. Past 64 requests
// in flight, each extra request opens and closes its own TCP connection; 256 in flight ran at
// 19k requests/s against 47k when the same load was held to 60 in flight with a queue. node:http
// with a keep-alive Agent avoided the churn but ran at 22k. So the default client is fetch behind
// a counting semaphore: requests beyond the limit wait for a free slot instead of opening a new
// connection. The limit is per thread, so the pool divides the process-wide budget between its
// threads. Aborting an in-flight HTTP/1.1 request closes its socket whatever the client does;
// workers/race.ts decides when losers are aborted.

/** Process-wide keep-alive pool of Bun's fetch, measured as above; the default in-flight budget. */
export const FETCH_POOL_SOCKETS = 60

export interface HttpClient {
  /**
   * Sends a request and passes the response to `read`, which must consume or cancel the body.
   * Resolves with what `read` returns; the connection is released when `read` settles.
   */
  request<T>(url: string, init: RequestInit, read: (response: Response) => Promise<T>): Promise<T>
  /** Requests waiting for a free slot. */
  readonly queued: number
  readonly inFlight: number
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  return options.client === 'fetch' ? new PlainFetch() : new PooledFetch(options.maxInFlight)
}

class PlainFetch implements HttpClient {
  active = 0
  readonly queued = 0

  get inFlight(): number {
    return this.active
  }

  async request<T>(url: string, init: RequestInit, read: (r: Response) => Promise<T>): Promise<T> {
    this.active++
    try {
      return await read(await fetch(url, init))
    } finally {
      this.active--
    }
  }
}

/** fetch with at most `limit` requests in flight; the rest wait in FIFO order. */
class PooledFetch implements HttpClient {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly limit: number) {}

  get queued(): number {
    return this.waiting.length
  }

  get inFlight(): number {
    return this.active
  }

  async request<T>(url: string, init: RequestInit, read: (r: Response) => Promise<T>): Promise<T> {
    await this.acquire(init.signal ?? undefined)
    try {
      return await read(await fetch(url, init))
    } finally {
      this.release()
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.active < this.limit) {
      this.active++
      return Promise.resolve()
    }
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort)
        this.active++
        resolve()
      }
      const onAbort = () => {
        const at = this.waiting.indexOf(grant)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(grant)
    })
  }

  private release(): void {
    this.active--
    this.waiting.shift()?.()
  }
}
