import { parseArgs } from 'node:util'
import { checkRange, DEFAULT_LATENCY, LatencyModel, mulberry32 } from './latency-model.ts'
import type { LatencySettings } from './latency-model.ts'
import { queryMarkets } from './market-data.ts'
import type { MarketResponse } from './market-data.ts'

export const MARKETS_PATH = '/api/v3/coins/markets'
export const STATS_PATH = '/__backend/stats'
export const DEFAULT_REQUEST_KEY_HEADER = 'X-Request-Seed'

/** Options of the demo markets backend; latency fields are in milliseconds. */
export interface MarketBackendOptions extends Partial<LatencySettings> {
  /** Port on 127.0.0.1, or 0 for a free one. */
  port?: number
  /** Share (0..1) of calls that return 500, drawn independently for each call. */
  failureRate?: number
  /** Header whose value identifies a client request, so its hedged copies share a delay. */
  requestKeyHeader?: string
  /** `markets` serves CoinGecko rows, and `small` one ~300-byte object on the same path. */
  payload?: 'markets' | 'small'
}

/** Counters since the backend started. */
export interface MarketBackendStats {
  requests: number
  ok: number
  failures: number
  badRequests: number
  /** Calls whose client disconnected before the delay ended, such as aborted hedges. */
  aborted: number
  inFlight: number
  maxInFlight: number
}

export interface MarketBackend {
  port: number
  url: string
  stop(): Promise<void>
  stats(): MarketBackendStats
}

const SMALL_BODY = JSON.stringify({
  id: 'bitcoin',
  symbol: 'btc',
  name: 'Bitcoin',
  current_price: 81234,
  market_cap: 1611823456789,
  market_cap_rank: 1,
  total_volume: 38211456789,
  high_24h: 82610,
  low_24h: 79877,
  price_change_24h: -1032.41,
  price_change_percentage_24h: -1.25492,
  circulating_supply: 19841234,
  last_updated: '2026-12-04T14:30:12.481Z',
})
const MAX_CACHED_QUERIES = 256
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }

/**
 * Starts a server on 127.0.0.1 shaped like CoinGecko's `GET /api/v3/coins/markets`, with
 * simulated latency and failures. `GET /__backend/stats` returns the counters as JSON.
 *
 * @example
 * const backend = await startMarketBackend({ port: 0, medianMs: 40, sigma: 0.5 })
 * await fetch(`${backend.url}/api/v3/coins/markets?vs_currency=eur&ids=bitcoin`)
 * await backend.stop()
 */
export async function startMarketBackend(
  options: MarketBackendOptions = {},
): Promise<MarketBackend> {
  const failureRate = options.failureRate ?? 0
  checkRange('failureRate', failureRate, 0, 1)
  const latency = new LatencyModel({ ...DEFAULT_LATENCY, ...withoutUndefined(options) })
  const failureRandom = mulberry32(latency.settings.seed ^ 0x5bd1e995)
  const keyHeader = options.requestKeyHeader ?? DEFAULT_REQUEST_KEY_HEADER
  const answer = options.payload === 'small' ? answerSmall : cachedAnswer()
  const stats = newStats()

  async function handleMarkets(request: Request, url: URL) {
    const response = answer(url)
    if (response.status !== 200) {
      stats.badRequests++
      return jsonResponse(response.status, response.body)
    }

    const delayMs = latency.draw(request.headers.get(keyHeader) ?? undefined)
    const completed = await sleep(delayMs, request.signal)
    if (!completed) stats.aborted++

    const timing = { 'server-timing': `delay;dur=${delayMs.toFixed(1)}` }
    if (failureRandom() < failureRate) {
      stats.failures++
      return jsonResponse(500, '{"error":"simulated backend failure"}', timing)
    }
    stats.ok++
    return jsonResponse(200, response.body, timing)
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    development: false,
    // Without this, a second demo could bind the same port and split the traffic silently.
    reusePort: false,
    async fetch(request) {
      const url = new URL(request.url)
      if (url.pathname === STATS_PATH) return Response.json(stats)
      if (url.pathname !== MARKETS_PATH) return jsonResponse(404, '{"error":"not found"}')
      if (request.method !== 'GET') return jsonResponse(405, '{"error":"method not allowed"}')

      stats.requests++
      stats.inFlight++
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
      try {
        return await handleMarkets(request, url)
      } finally {
        stats.inFlight--
      }
    },
  })

  const port = server.port!
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stop: () => server.stop(true),
    stats: () => ({ ...stats }),
  }
}

function newStats(): MarketBackendStats {
  return {
    requests: 0,
    ok: 0,
    failures: 0,
    badRequests: 0,
    aborted: 0,
    inFlight: 0,
    maxInFlight: 0,
  }
}

function answerSmall(url: URL): MarketResponse {
  if (!url.searchParams.get('vs_currency')) {
    return { status: 400, body: '{"error":"missing vs_currency: send vs_currency=eur"}' }
  }
  return { status: 200, body: SMALL_BODY }
}

/** Memoizes `queryMarkets` by query string, so a throughput run measures the network path. */
function cachedAnswer() {
  const cache = new Map<string, MarketResponse>()
  return (url: URL): MarketResponse => {
    const cached = cache.get(url.search)
    if (cached) return cached

    const response = queryMarkets(url.searchParams)
    if (cache.size >= MAX_CACHED_QUERIES) cache.delete(cache.keys().next().value!)
    cache.set(url.search, response)
    return response
  }
}

function jsonResponse(status: number, body: string, headers: Record<string, string> = {}) {
  return new Response(body, { status, headers: { ...JSON_HEADERS, ...headers } })
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal.aborted)
  if (signal.aborted) return Promise.resolve(false)

  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T
}

const HELP = `Usage: bun src/demo/market-backend.ts [options]

Serves GET ${MARKETS_PATH} (CoinGecko-shaped, EUR) on 127.0.0.1 with simulated latency.
Each call waits min-ms + c * shared + (1 - c) * own milliseconds, where shared and own are
log-normal draws and c is --correlation. GET ${STATS_PATH} returns counters as JSON.

Options:
  --port N             TCP port on 127.0.0.1; 0 picks a free one (default 9100)
  --median-ms MS       median of the log-normal latency, in milliseconds (default 40)
  --sigma S            sigma of the latency's natural log, unitless; larger = longer tail (default 0.5)
  --min-ms MS          latency floor added to every call, in milliseconds (default 0)
  --fixed-ms MS        constant latency in milliseconds; overrides the three options above
  --correlation C      share 0..1 of the random delay common to the copies of one request (default 0)
  --seed-header NAME   request header that identifies a client request (default ${DEFAULT_REQUEST_KEY_HEADER})
  --failure-rate R     share 0..1 of calls that return 500 (default 0)
  --payload KIND       markets (CoinGecko rows) or small (one ~300-byte object) (default markets)
  --seed N             integer seed of the random latency and failures (default 1)
  -h, --help           print this help
`

function parseNumber(name: string, text: string | undefined) {
  if (text === undefined) return undefined
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new RangeError(`invalid --${name}: ${text}; expected a number`)
  }
  return value
}

/** Parses the CLI flags into backend options; throws on an invalid value. */
export function parseBackendArgs(args: string[]): MarketBackendOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string', default: '9100' },
      'median-ms': { type: 'string' },
      sigma: { type: 'string' },
      'min-ms': { type: 'string' },
      'fixed-ms': { type: 'string' },
      correlation: { type: 'string' },
      'seed-header': { type: 'string' },
      'failure-rate': { type: 'string' },
      payload: { type: 'string', default: 'markets' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  if (values.payload !== 'markets' && values.payload !== 'small') {
    throw new RangeError(`invalid --payload: ${values.payload}; expected markets or small`)
  }

  return {
    port: parseNumber('port', values.port),
    medianMs: parseNumber('median-ms', values['median-ms']),
    sigma: parseNumber('sigma', values.sigma),
    minMs: parseNumber('min-ms', values['min-ms']),
    fixedMs: parseNumber('fixed-ms', values['fixed-ms']),
    correlation: parseNumber('correlation', values.correlation),
    requestKeyHeader: values['seed-header'],
    failureRate: parseNumber('failure-rate', values['failure-rate']),
    payload: values.payload,
    seed: parseNumber('seed', values.seed),
  }
}

async function main() {
  let options: MarketBackendOptions | 'help'
  let backend: MarketBackend
  try {
    options = parseBackendArgs(process.argv.slice(2))
    if (options === 'help') {
      process.stdout.write(HELP)
      return
    }
    backend = await startMarketBackend(options)
  } catch (error) {
    console.error(`${(error as Error).message}\nRun with --help to list the options.`)
    process.exit(2)
  }

  const settings = withoutUndefined({ ...options, port: backend.port })
  console.log(JSON.stringify({ msg: 'market backend listening', url: backend.url, ...settings }))

  const shutdown = async () => {
    await backend.stop()
    process.exit(0)
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

if (import.meta.main) await main()
