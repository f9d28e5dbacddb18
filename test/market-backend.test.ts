import { afterEach, describe, expect, test } from 'bun:test'
import { LatencyModel, DEFAULT_LATENCY } from '../src/demo/latency-model.ts'
import { parseBackendArgs, startMarketBackend } from '../src/demo/market-backend.ts'
import type { MarketBackend, MarketBackendOptions } from '../src/demo/market-backend.ts'

const MARKETS = '/api/v3/coins/markets'
let backend: MarketBackend | undefined

afterEach(async () => {
  await backend?.stop()
  backend = undefined
})

async function start(options: MarketBackendOptions = {}) {
  backend = await startMarketBackend({ port: 0, fixedMs: 0, seed: 7, ...options })
  return backend
}

async function getMarkets(query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${backend!.url}${MARKETS}?${query}`, { headers })
  return {
    status: response.status,
    body: (await response.json()) as any,
    headers: response.headers,
  }
}

function ids(rows: { id: string }[]) {
  return rows.map((row) => row.id)
}

describe('market backend query', () => {
  test('ids with encoded comma filters rows', async () => {
    await start()
    const { status, body } = await getMarkets('vs_currency=eur&ids=bitcoin%2Cethereum')
    expect(status).toBe(200)
    expect(ids(body)).toEqual(['bitcoin', 'ethereum'])
    expect(body[0].current_price).toBe(81234)
  })

  test('default order is market cap descending', async () => {
    await start()
    const { body } = await getMarkets('vs_currency=eur&per_page=7')
    expect(ids(body)).toEqual([
      'bitcoin',
      'ethereum',
      'tether',
      'ripple',
      'solana',
      'bitcoin-2',
      'ethereum-2',
    ])
    expect(body.map((row: any) => row.market_cap_rank)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  test('order id_asc and market_cap_asc', async () => {
    await start()
    const byId = await getMarkets('vs_currency=eur&ids=solana,bitcoin,tether&order=id_asc')
    expect(ids(byId.body)).toEqual(['bitcoin', 'solana', 'tether'])
    const byCap = await getMarkets('vs_currency=eur&ids=solana,bitcoin,tether&order=market_cap_asc')
    expect(ids(byCap.body)).toEqual(['solana', 'tether', 'bitcoin'])
  })

  test('per_page defaults to 100 rows', async () => {
    await start()
    const { body } = await getMarkets('vs_currency=eur')
    expect(body).toHaveLength(100)
    expect(body[99].market_cap_rank).toBe(100)
    expect(new Set(ids(body)).size).toBe(100)
  })

  test('page 2 continues page 1', async () => {
    await start()
    const page1 = await getMarkets('vs_currency=eur&per_page=3&page=1')
    const page2 = await getMarkets('vs_currency=eur&per_page=3&page=2')
    expect(ids(page1.body)).toEqual(['bitcoin', 'ethereum', 'tether'])
    expect(ids(page2.body)).toEqual(['ripple', 'solana', 'bitcoin-2'])
  })

  test('page past the end is empty', async () => {
    await start()
    const { status, body } = await getMarkets('vs_currency=eur&per_page=250&page=2')
    expect(status).toBe(200)
    expect(body).toEqual([])
  })

  test('sparkline true adds 168 prices', async () => {
    await start()
    const { body } = await getMarkets('vs_currency=eur&ids=bitcoin&sparkline=true')
    expect(body[0].sparkline_in_7d.price).toHaveLength(168)
    expect(body[0].sparkline_in_7d.price[167]).toBe(81234)
    const plain = await getMarkets('vs_currency=eur&ids=bitcoin&sparkline=false')
    expect(plain.body[0].sparkline_in_7d).toBeUndefined()
  })

  test('missing vs_currency returns 400', async () => {
    await start()
    const { status, body } = await getMarkets('ids=bitcoin')
    expect(status).toBe(400)
    expect(body.error).toContain('missing vs_currency')
  })

  test('invalid per_page and order return 400', async () => {
    await start()
    expect((await getMarkets('vs_currency=eur&per_page=251')).status).toBe(400)
    expect((await getMarkets('vs_currency=eur&per_page=0')).status).toBe(400)
    expect((await getMarkets('vs_currency=eur&page=0')).status).toBe(400)
    expect((await getMarkets('vs_currency=eur&order=random')).status).toBe(400)
    expect((await getMarkets('vs_currency=usd')).status).toBe(400)
  })

  test('small payload is one object under 400 bytes', async () => {
    await start({ payload: 'small' })
    const response = await fetch(`${backend!.url}${MARKETS}?vs_currency=eur`)
    const text = await response.text()
    expect(response.status).toBe(200)
    expect(text.length).toBeGreaterThan(250)
    expect(text.length).toBeLessThan(400)
    expect(JSON.parse(text).id).toBe('bitcoin')
  })
})

describe('market backend latency and failures', () => {
  test('failure rate 1 returns 500', async () => {
    await start({ failureRate: 1 })
    const { status, body } = await getMarkets('vs_currency=eur&ids=bitcoin')
    expect(status).toBe(500)
    expect(body.error).toBe('simulated backend failure')
    expect(backend!.stats().failures).toBe(1)
    expect(backend!.stats().requests).toBe(1)
  })

  test('fixed latency waits at least fixed-ms', async () => {
    await start({ fixedMs: 120 })
    const started = performance.now()
    const { status } = await getMarkets('vs_currency=eur&ids=bitcoin')
    expect(status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(120)
  })

  test('client abort is counted', async () => {
    await start({ fixedMs: 2000 })
    const controller = new AbortController()
    const pending = fetch(`${backend!.url}${MARKETS}?vs_currency=eur`, {
      signal: controller.signal,
    }).catch((error: Error) => error.name)
    await Bun.sleep(50)
    controller.abort()
    expect(await pending).toBe('AbortError')
    await Bun.sleep(100)
    expect(backend!.stats().aborted).toBe(1)
    expect(backend!.stats().inFlight).toBe(0)
  })

  test('correlation 1 gives copies one delay', async () => {
    await start({ fixedMs: undefined, medianMs: 5, sigma: 0.8, correlation: 1 })
    const seed = { 'X-Request-Seed': 'request-42' }
    const first = await getMarkets('vs_currency=eur&ids=bitcoin', seed)
    const second = await getMarkets('vs_currency=eur&ids=bitcoin', seed)
    expect(first.headers.get('server-timing')).toBe(second.headers.get('server-timing'))
  })
})

/** Pearson correlation of the delays of two copies of the same request, over 4000 requests. */
function copyCorrelation(correlation: number) {
  const model = new LatencyModel({ ...DEFAULT_LATENCY, sigma: 0.3, correlation })
  const pairs = Array.from({ length: 4000 }, (_, i) => [model.draw(`r${i}`), model.draw(`r${i}`)])
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
  const xs = pairs.map((pair) => pair[0]!)
  const ys = pairs.map((pair) => pair[1]!)
  const mx = mean(xs)
  const my = mean(ys)
  const covariance = mean(xs.map((x, i) => (x - mx) * (ys[i]! - my)))
  const spread = (values: number[], m: number) => Math.sqrt(mean(values.map((v) => (v - m) ** 2)))
  return covariance / (spread(xs, mx) * spread(ys, my))
}

describe('latency model', () => {
  test('same seed repeats the same draws', () => {
    const settings = { ...DEFAULT_LATENCY, seed: 3 }
    const a = new LatencyModel(settings)
    const b = new LatencyModel(settings)
    const drawsA = Array.from({ length: 5 }, () => a.draw())
    const drawsB = Array.from({ length: 5 }, () => b.draw())
    expect(drawsA).toEqual(drawsB)
  })

  test('median and floor match settings', () => {
    const model = new LatencyModel({ ...DEFAULT_LATENCY, medianMs: 40, minMs: 100, sigma: 0.5 })
    const draws = Array.from({ length: 20001 }, () => model.draw()).sort((a, b) => a - b)
    expect(draws[0]!).toBeGreaterThanOrEqual(100)
    expect(draws[10000]!).toBeGreaterThan(138)
    expect(draws[10000]!).toBeLessThan(142)
  })

  test('correlated copies move together', () => {
    expect(copyCorrelation(0.7)).toBeGreaterThan(0.5)
    expect(Math.abs(copyCorrelation(0))).toBeLessThan(0.05)
  })

  test('invalid correlation is rejected', () => {
    expect(() => new LatencyModel({ ...DEFAULT_LATENCY, correlation: 1.5 })).toThrow(
      'invalid correlation: 1.5',
    )
  })
})

describe('market backend CLI flags', () => {
  test('flags map to options', () => {
    const options = parseBackendArgs([
      '--port',
      '9100',
      '--median-ms',
      '40',
      '--sigma',
      '0.5',
      '--failure-rate',
      '0.01',
    ])
    expect(options).toMatchObject({ port: 9100, medianMs: 40, sigma: 0.5, failureRate: 0.01 })
  })

  test('non-numeric flag is rejected', () => {
    expect(() => parseBackendArgs(['--sigma', 'wide'])).toThrow('invalid --sigma: wide')
  })
})
