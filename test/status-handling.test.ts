import { afterEach, describe, expect, test } from 'bun:test'
import { startTestGateway, type TestGateway } from './helpers/gateway-config.ts'
import { json, startStubBackend, type StubBackend } from './helpers/stub-backend.ts'

// Backend statuses: only 200 and 201 are success; return_error_details turns a failure into data.

const servers: { stop(): Promise<void> }[] = []
afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.stop()
})

function backendAnswering(status: number): StubBackend {
  const backend = startStubBackend(() =>
    status === 204 ? new Response(null, { status }) : json({ status }, status),
  )
  servers.push(backend)
  return backend
}

async function gateway(backend: object, concurrentCalls = 1): Promise<TestGateway> {
  const started = await startTestGateway({
    version: 3,
    endpoints: [{ endpoint: '/v', concurrent_calls: concurrentCalls, backend: [backend] }],
  })
  servers.push(started)
  return started
}

describe('backend status codes', () => {
  test.each([200, 201])('%i is a success answered with 200', async (status) => {
    const backend = backendAnswering(status)
    const response = await (await gateway({ host: [backend.url], url_pattern: '/x' })).request('/v')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status })
  })

  test.each([202, 204, 404, 500])('%i is a backend failure', async (status) => {
    const backend = backendAnswering(status)
    const response = await (await gateway({ host: [backend.url], url_pattern: '/x' })).request('/v')
    expect(response.status).toBe(502)
    expect(((await response.json()) as any).error.details.failures[0].status).toBe(status)
  })

  test('return_error_details on a single backend answers 200 with the details', async () => {
    const backend = startStubBackend(() => new Response('gone', { status: 410 }))
    servers.push(backend)
    const started = await gateway(
      {
        host: [backend.url],
        url_pattern: '/x',
        group: 'ignored',
        extra_config: { 'backend/http': { return_error_details: 'orders' } },
      },
      2,
    )
    const response = await started.request('/v')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      error_orders: {
        http_status_code: 410,
        http_body: 'gone',
        http_body_encoding: 'text/plain;charset=utf-8',
      },
    })
    expect(response.headers.get('x-krakend-completed')).toBe('false')
  })

  test('a no-op backend adds empty data to a merge', async () => {
    const backend = startStubBackend((_, url) =>
      url.pathname === '/raw' ? new Response('not json', { status: 404 }) : json({ a: 1 }),
    )
    servers.push(backend)
    const started = await startTestGateway({
      version: 3,
      endpoints: [
        {
          endpoint: '/v',
          backend: [
            { host: [backend.url], url_pattern: '/json' },
            { host: [backend.url], url_pattern: '/raw', encoding: 'no-op' },
          ],
        },
      ],
    })
    servers.push(started)
    const response = await started.request('/v')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ a: 1 })
    expect(response.headers.get('x-krakend-completed')).toBe('true')
  })
})
