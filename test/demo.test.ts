import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startMarketBackend, type MarketBackend } from '../src/demo/market-backend.ts'
import type { Gateway } from '../src/gateway.ts'
import type { StatsSnapshot } from '../src/stats.ts'
import { startTestGateway } from './helpers/gateway.ts'

// The shipped config/krakend.json, pointed at a demo backend on a free port.

let backend: MarketBackend
let gateway: Gateway

beforeAll(async () => {
  backend = await startMarketBackend({ port: 0, medianMs: 5, sigma: 0.5, seed: 7 })
  const text = readFileSync(join(import.meta.dir, '../config/krakend.json'), 'utf8')
  const config = JSON.parse(text.replace('http://127.0.0.1:9100', backend.url))
  gateway = await startTestGateway(config, 2)
})

afterAll(async () => {
  await gateway.stop()
  await backend.stop()
})

test('demo concurrent endpoint returns the coins', async () => {
  const response = await fetch(`${gateway.url}/market/concurrent`)
  const body = (await response.json()) as { coins: { id: string; current_price: number }[] }

  expect(response.status).toBe(200)
  expect(Object.keys(body)).toEqual(['coins'])
  expect(body.coins.map((coin) => coin.id)).toEqual(['bitcoin', 'ethereum'])
  expect(body.coins[0]!.current_price).toBe(81234)
})

test('demo stats show three attempts per hedged request', async () => {
  for (let i = 0; i < 3; i++) await fetch(`${gateway.url}/market/concurrent`)
  for (let i = 0; i < 2; i++) await fetch(`${gateway.url}/market/simple`)
  const stats = (await (await fetch(`${gateway.url}/__stats`)).json()) as StatsSnapshot
  const concurrent = stats.endpoints.find((endpoint) => endpoint.endpoint === '/market/concurrent')!
  const simple = stats.endpoints.find((endpoint) => endpoint.endpoint === '/market/simple')!

  expect(concurrent.requests).toBe(4)
  expect(concurrent.backends[0]!.attempts).toBe(12)
  expect(simple.requests).toBe(2)
  expect(simple.backends[0]!.attempts).toBe(2)
})
