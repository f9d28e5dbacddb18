import { afterEach, describe, expect, test } from 'bun:test'
import { isRawNumber, mayHaveLossyNumber, parseJson } from '../workers/json.ts'
import { startTestGateway, type TestGateway } from './helpers/gateway-config.ts'
import { json, startRoutes, startStubBackend, type StubBackend } from './helpers/stub-backend.ts'

// Numbers in backend JSON must reach the client as the backend wrote them.

const LOSSY_LITERALS = [
  '12345678901234567890',
  '-12345678901234567890',
  '4.20',
  '1.0',
  '19841234.0',
  '-0',
  '-0.0',
  '1E2',
  '1e-07',
  '2.5e+10',
  '0.0000001',
  '1234567890.12345678',
  '0.1000000000000000055511151231257827',
]

const servers: { stop(): Promise<void> }[] = []
afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.stop()
})

async function serve(config: object, workers = 0): Promise<TestGateway> {
  const gateway = await startTestGateway({ version: 3, ...config }, workers)
  servers.push(gateway)
  return gateway
}

function backend(routes: Record<string, unknown>): StubBackend {
  const server = startRoutes(routes)
  servers.push(server)
  return server
}

describe('parseJson', () => {
  test.each(LOSSY_LITERALS)('keeps %s as written', (literal) => {
    const text = `{"n":${literal},"list":[${literal}]}`
    const value = parseJson(text) as { n: unknown; list: unknown[] }
    expect(isRawNumber(value.n)).toBe(true)
    expect(isRawNumber(value.list[0])).toBe(true)
    expect(JSON.stringify(value)).toBe(text)
  })

  test('keeps plain numbers plain', () => {
    const value = parseJson('{"a":42,"b":-1.25,"c":0.001,"d":0.30000000000000004}') as Record<
      string,
      unknown
    >
    expect(value).toEqual({ a: 42, b: -1.25, c: 0.001, d: 0.30000000000000004 })
  })

  test('keeps a bare lossy number', () => {
    const value = parseJson(' 12345678901234567890')
    expect(isRawNumber(value)).toBe(true)
    expect(JSON.stringify(value)).toBe('12345678901234567890')
  })

  test('reads strings with number-like text unchanged', () => {
    const text =
      '{"s":"12345678901234567890","t":"v4.20, x","u":"a-0","when":"2026-12-04T14:30:00.000Z"}'
    expect(JSON.stringify(parseJson(text))).toBe(text)
  })

  test('rejects invalid JSON with a SyntaxError', () => {
    expect(() => parseJson('{"a":')).toThrow(SyntaxError)
  })
})

describe('mayHaveLossyNumber', () => {
  test('is false for a body of plain numbers', () => {
    const body = JSON.stringify({
      id: 'bitcoin',
      current_price: 81234,
      market_cap: 1611823456789,
      change: -1.25492,
      list: [1, 2.5, -3],
      image: 'https://example.com/coins/images/1/large/bitcoin.png',
    })
    expect(mayHaveLossyNumber(body)).toBe(false)
  })

  test.each(LOSSY_LITERALS)('is true for %s', (literal) => {
    expect(mayHaveLossyNumber(`{"n": ${literal} }`)).toBe(true)
  })
})

describe('number fidelity through the gateway', () => {
  const BODY = '{"id":12345678901234567890,"price":4.20,"list":[1.0,-0,1E2],"name":"x"}'

  test('big integers and decimals pass byte for byte', async () => {
    const upstream = backend({ '/x': () => json(BODY) })
    const gateway = await serve({
      endpoints: [{ endpoint: '/v', backend: [{ host: [upstream.url], url_pattern: '/x' }] }],
    })
    const response = await gateway.request('/v')
    expect(await response.text()).toBe(BODY)
  })

  test('manipulated and merged numbers keep their text', async () => {
    const upstream = backend({ '/x': () => json(BODY), '/y': () => json('{"total":1.50}') })
    const gateway = await serve({
      endpoints: [
        {
          endpoint: '/v',
          backend: [
            { host: [upstream.url], url_pattern: '/x', allow: ['id', 'price'], group: 'item' },
            { host: [upstream.url], url_pattern: '/y' },
          ],
        },
      ],
    })
    const response = await gateway.request('/v')
    expect(await response.text()).toBe(
      '{"item":{"id":12345678901234567890,"price":4.20},"total":1.50}',
    )
  })

  test('numbers keep their text in a worker thread', async () => {
    const upstream = backend({ '/x': () => json(BODY) })
    const gateway = await serve(
      { endpoints: [{ endpoint: '/v', backend: [{ host: [upstream.url], url_pattern: '/x' }] }] },
      1,
    )
    const response = await gateway.request('/v')
    expect(await response.text()).toBe(BODY)
  })

  test('xml and yaml output keep the digits', async () => {
    const upstream = backend({ '/x': () => json('{"id":12345678901234567890,"price":4.20}') })
    const gateway = await serve({
      endpoints: ['xml', 'yaml'].map((encoding) => ({
        endpoint: `/${encoding}`,
        output_encoding: encoding,
        backend: [{ host: [upstream.url], url_pattern: '/x' }],
      })),
    })
    const xml = await gateway.request('/xml')
    expect(await xml.text()).toBe('<doc><id>12345678901234567890</id><price>4.20</price></doc>')
    const yaml = await gateway.request('/yaml')
    expect(await yaml.text()).toBe('id: 12345678901234567890\nprice: 4.20\n')
  })

  test('a sequential placeholder gets all the digits', async () => {
    const first = backend({ '/0': () => json('{"id":12345678901234567890}') })
    const second = startStubBackend(() => json({ ok: true }))
    servers.push(second)
    const gateway = await serve({
      endpoints: [
        {
          endpoint: '/v',
          extra_config: { proxy: { sequential: true } },
          backend: [
            { host: [first.url], url_pattern: '/0' },
            { host: [second.url], url_pattern: '/items/{resp0_id}' },
          ],
        },
      ],
    })
    await gateway.request('/v')
    expect(second.requests[0]!.path).toBe('/items/12345678901234567890')
  })
})
