import { describe, expect, test } from 'bun:test'
import type { StatsSnapshot } from '../src/stats.ts'
import { rawRequest } from './helpers/scripted-backend.ts'
import { serviceConfig } from './helpers/gateway.ts'
import { useServers } from './helpers/servers.ts'

const servers = useServers()
const backend = servers.backend

describe.each([0, 2])('requests with %i workers', (workers) => {
  test('two backends merge under their groups', async () => {
    const users = backend(() => ({ body: { name: 'ada' } }))
    const orders = backend(() => ({ delayMs: 20, body: { count: 2 } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/profile',
          backend: [
            { host: [users.url], url_pattern: '/user', group: 'user' },
            { host: [orders.url], url_pattern: '/orders', group: 'orders' },
          ],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/profile`)

    expect(response.status).toBe(200)
    expect(response.headers.get('x-krakend-completed')).toBe('true')
    expect(await response.text()).toBe('{"user":{"name":"ada"},"orders":{"count":2}}')
  })

  test('one failing backend gives a partial response', async () => {
    const users = backend(() => ({ body: { name: 'ada' } }))
    const orders = backend(() => ({ status: 500, body: { error: 'down' } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/profile',
          backend: [
            { host: [users.url], url_pattern: '/user', group: 'user' },
            { host: [orders.url], url_pattern: '/orders', group: 'orders' },
          ],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/profile`)

    expect(response.status).toBe(200)
    expect(response.headers.get('x-krakend-completed')).toBe('false')
    expect(await response.json()).toEqual({ user: { name: 'ada' } })
  })

  test('safejson array is wrapped then mapped', async () => {
    const coins = backend(() => ({ body: [{ id: 'bitcoin' }, { id: 'ethereum' }] }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/coins',
          backend: [
            {
              host: [coins.url],
              url_pattern: '/markets',
              encoding: 'safejson',
              mapping: { collection: 'coins' },
            },
          ],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/coins`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ coins: [{ id: 'bitcoin' }, { id: 'ethereum' }] })
  })

  test('path parameter stays inside the backend path', async () => {
    const users = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/users/{id}',
          backend: [{ host: [users.url], url_pattern: '/v1/users/{id}/profile' }],
        },
      ]),
      workers,
    )

    const cases = [
      ['..%2Fadmin', '/v1/users/..%2Fadmin/profile'],
      ['a%3Fdebug%3D1', '/v1/users/a%3Fdebug%3D1/profile'],
      ['x%23frag', '/v1/users/x%23frag/profile'],
      ['%40evil.example', '/v1/users/%40evil.example/profile'],
    ]
    for (const [sent, expected] of cases) {
      const response = await fetch(`${gateway.url}/users/${sent}`)
      expect(response.status).toBe(200)
      expect(users.received.at(-1)!.target).toBe(expected!)
    }
  })

  test('dot segment parameter is rejected with 400', async () => {
    const users = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/users/{id}',
          backend: [{ host: [users.url], url_pattern: '/v1/users/{id}' }],
        },
      ]),
      workers,
    )

    for (const target of ['/users/%2E%2E', '/users/%2e', '/users/..']) {
      const response = await rawRequest(gateway.url, target)
      expect(response.status).toBe(400)
      expect(response.body).toContain('TG_BAD_PATH_PARAM')
    }
    expect(users.received).toHaveLength(0)
  })

  test('invalid percent-encoding is rejected with 400', async () => {
    const users = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/users/{id}',
          backend: [{ host: [users.url], url_pattern: '/v1/users/{id}' }],
        },
      ]),
      workers,
    )

    for (const target of ['/users/%zz', '/users/%', '/users/%e2%82', '/users/%FF']) {
      const response = await rawRequest(gateway.url, target)
      expect(response.status).toBe(400)
      expect(response.body).toContain('invalid percent-encoding')
    }
    expect(users.received).toHaveLength(0)
    expect((await fetch(`${gateway.url}/users/caf%C3%A9`)).status).toBe(200)
    expect(users.received[0]!.target).toBe('/v1/users/caf%C3%A9')
  })

  test('only allowed query and headers are forwarded', async () => {
    const search = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/search',
          input_query_strings: ['q', 'page'],
          input_headers: ['Authorization', 'X-Tenant'],
          backend: [{ host: [search.url], url_pattern: '/find?source=gw' }],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/search?q=a%20b&debug=1&page=2&page=3`, {
      headers: {
        authorization: 'Bearer t',
        'x-tenant': 'acme',
        cookie: 'session=1',
        'x-other': 'no',
      },
    })
    const received = search.received[0]!

    expect(response.status).toBe(200)
    // The client's allowed query follows the url_pattern's, sorted by name as KrakenD sorts it.
    expect(received.target).toBe('/find?source=gw&page=2&page=3&q=a%20b')
    expect(received.headers['authorization']).toBe('Bearer t')
    expect(received.headers['x-tenant']).toBe('acme')
    expect(received.headers['cookie']).toBeUndefined()
    expect(received.headers['x-other']).toBeUndefined()
    expect(received.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(received.headers['user-agent']).toBe('Tailgate')
  })

  test('prototype-like header names are forwarded', async () => {
    const echo = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/e',
          input_headers: ['*'],
          backend: [{ host: [echo.url], url_pattern: '/e' }],
        },
      ]),
      workers,
    )

    await fetch(`${gateway.url}/e`, {
      headers: [
        ['constructor', 'c'],
        ['__proto__', 'p'],
      ],
    })
    const received = echo.received[0]!

    expect(received.headers['constructor']).toBe('c')
    expect(received.headers['__proto__']).toBe('p')
  })

  test('hop-by-hop headers are never forwarded', async () => {
    const echo = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/e',
          input_headers: ['*'],
          backend: [{ host: [echo.url], url_pattern: '/e' }],
        },
      ]),
      workers,
    )

    await fetch(`${gateway.url}/e`, {
      headers: {
        connection: 'keep-alive, x-session-hop',
        'x-session-hop': '1',
        'x-kept': 'yes',
        te: 'trailers',
      },
    })
    const received = echo.received[0]!

    expect(received.headers['x-kept']).toBe('yes')
    expect(received.headers['x-session-hop']).toBeUndefined()
    expect(received.headers['te']).toBeUndefined()
  })

  test('default forwards no query and only content-type', async () => {
    const echo = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        { endpoint: '/e', method: 'PUT', backend: [{ host: [echo.url], url_pattern: '/e' }] },
      ]),
      workers,
    )

    await fetch(`${gateway.url}/e?x=1`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer t',
        connection: 'keep-alive',
      },
      body: '{"a":1}',
    })
    const received = echo.received[0]!

    expect(received.target).toBe('/e')
    expect(received.method).toBe('PUT')
    expect(received.body).toBe('{"a":1}')
    expect(received.headers['content-type']).toBe('application/json')
    expect(received.headers['authorization']).toBeUndefined()
  })

  test('unknown route is 404 and wrong method 405', async () => {
    const echo = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([{ endpoint: '/e', backend: [{ host: [echo.url], url_pattern: '/e' }] }]),
      workers,
    )

    const missing = await fetch(`${gateway.url}/nope`)
    const wrongMethod = await fetch(`${gateway.url}/e`, { method: 'DELETE' })

    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      'TG_ROUTE_NOT_FOUND',
    )
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    for (const method of ['TRACE', 'PURGE']) {
      const other = await rawRequest(gateway.url, '/e', method)
      expect(other.status).toBe(405)
      expect(other.head.toLowerCase()).toContain('allow: get')
    }
    const postStats = await fetch(`${gateway.url}/__stats`, { method: 'POST' })
    expect(postStats.status).toBe(405)
    expect(postStats.headers.get('allow')).toBe('GET')
    expect((await fetch(`${gateway.url}/__health`)).status).toBe(200)
    const options = await fetch(`${gateway.url}/e`, { method: 'OPTIONS' })
    expect(options.status).toBe(405)
    expect(options.headers.get('allow')).toBe('GET')
  })

  test('static path does not hide a parameter route', async () => {
    const items = backend((_, request) => ({
      body: { method: request.method, target: request.target },
    }))
    const gateway = await servers.gateway(
      serviceConfig([
        { endpoint: '/s/static', backend: [{ host: [items.url], url_pattern: '/static' }] },
        {
          endpoint: '/s/{id}',
          method: 'PUT',
          backend: [{ host: [items.url], url_pattern: '/item/{id}' }],
        },
      ]),
      workers,
    )

    const put = await fetch(`${gateway.url}/s/static`, { method: 'PUT' })
    const get = await fetch(`${gateway.url}/s/static`)
    const post = await fetch(`${gateway.url}/s/static`, { method: 'POST' })

    expect(put.status).toBe(200)
    expect(await put.json()).toEqual({ method: 'PUT', target: '/item/static' })
    expect(get.status).toBe(200)
    expect(post.status).toBe(405)
  })

  test('merge keeps a __proto__ key', async () => {
    const first = backend(() => ({ text: '{"__proto__":{"x":1},"a":1}' }))
    const second = backend(() => ({ body: { b: 2 } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/m',
          backend: [
            { host: [first.url], url_pattern: '/1' },
            { host: [second.url], url_pattern: '/2' },
          ],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/m`)

    expect(await response.text()).toBe('{"__proto__":{"x":1},"a":1,"b":2}')
  })

  test('stats count the traffic sent', async () => {
    const market = backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/concurrent',
          concurrent_calls: 3,
          backend: [{ host: [market.url], url_pattern: '/m' }],
        },
        { endpoint: '/simple', backend: [{ host: [market.url], url_pattern: '/m' }] },
      ]),
      workers,
    )

    for (let i = 0; i < 5; i++) expect((await fetch(`${gateway.url}/concurrent`)).status).toBe(200)
    for (let i = 0; i < 2; i++) expect((await fetch(`${gateway.url}/simple`)).status).toBe(200)
    const stats = (await (await fetch(`${gateway.url}/__stats`)).json()) as StatsSnapshot
    const [concurrent, simple] = stats.endpoints

    expect(concurrent!.requests).toBe(5)
    expect(concurrent!.responses['2xx']).toBe(5)
    expect(concurrent!.latency_ms.count).toBe(5)
    expect(concurrent!.backends[0]!.races).toBe(5)
    expect(concurrent!.backends[0]!.attempts).toBe(15)
    expect(concurrent!.backends[0]!.hedges).toBe(10)
    expect(simple!.requests).toBe(2)
    expect(simple!.backends[0]!.attempts).toBe(2)
    expect(simple!.backends[0]!.hedges).toBe(0)
    expect(simple!.backends[0]!.wins_by_attempt).toEqual([2])
  })
})
