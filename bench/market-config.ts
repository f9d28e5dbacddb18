/**
 * KrakenD v3 configs for the bench. They mirror the `/market/simple` and `/market/concurrent`
 * endpoints of KrakenD's playground (safejson, `mapping: {collection: coins}`), with the
 * backend hosts pointed at the demo backends that the bench starts on 127.0.0.1.
 */

export const SIMPLE_PATH = '/market/simple'
export const CONCURRENT_PATH = '/market/concurrent'
export const REQUEST_KEY_HEADER = 'X-Request-Seed'

/** Two coins, as in the playground: a small body, used by the latency scenarios. */
export const TWO_COINS_QUERY =
  '/api/v3/coins/markets?vs_currency=eur&ids=bitcoin%2Cethereum&order=market_cap_desc&per_page=100&page=1&sparkline=false'
/** 100 coins (tens of KB), used by the throughput scenario. */
export const HUNDRED_COINS_QUERY =
  '/api/v3/coins/markets?vs_currency=eur&order=market_cap_desc&per_page=100&page=1&sparkline=false'

export interface MarketEndpoint {
  endpoint: string
  concurrent_calls?: number
  input_headers: string[]
  backend: {
    host: string[]
    url_pattern: string
    encoding: 'safejson'
    mapping: Record<string, string>
  }[]
}

export interface MarketConfig {
  version: 3
  port: number
  timeout: string
  endpoints: MarketEndpoint[]
}

export interface MarketConfigOptions {
  simpleHost: string
  concurrentHost: string
  urlPattern: string
  concurrentCalls: number
  timeoutMs: number
}

/** Builds the config with both endpoints; each may use its own backend host. */
export function marketConfig(options: MarketConfigOptions): MarketConfig {
  return {
    version: 3,
    port: 8080,
    timeout: `${options.timeoutMs}ms`,
    endpoints: [
      marketEndpoint(SIMPLE_PATH, options.simpleHost, options.urlPattern, 1),
      marketEndpoint(
        CONCURRENT_PATH,
        options.concurrentHost,
        options.urlPattern,
        options.concurrentCalls,
      ),
    ],
  }
}

function marketEndpoint(path: string, host: string, urlPattern: string, calls: number) {
  const endpoint: MarketEndpoint = {
    endpoint: path,
    input_headers: [REQUEST_KEY_HEADER],
    backend: [
      {
        host: [host],
        url_pattern: urlPattern,
        encoding: 'safejson',
        mapping: { collection: 'coins' },
      },
    ],
  }
  if (calls > 1) endpoint.concurrent_calls = calls
  return endpoint
}

/** Parses a KrakenD duration such as `3000ms` or `3s` into milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text)
  if (!match) throw new Error(`invalid timeout: ${text}; expected a duration such as 3000ms or 3s`)
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1)
}
