import { describe, expect, test } from 'bun:test'
import { serviceConfig } from './helpers/gateway.ts'
import { useServers } from './helpers/servers.ts'

// Endpoints whose manipulation only wraps the body relay the backend's JSON text.

const servers = useServers()
let gatewayUrl = ''

async function relay(text: string, backendConfig: Record<string, unknown>, workers = 0) {
  const backend = servers.backend(() => ({ text }))
  const gateway = await servers.gateway(
    serviceConfig([
      { endpoint: '/r', backend: [{ host: [backend.url], url_pattern: '/b', ...backendConfig }] },
    ]),
    workers,
  )
  gatewayUrl = gateway.url
  return fetch(`${gateway.url}/r`)
}

describe('passthrough relay', () => {
  test('safejson array wrapped under its mapping', async () => {
    const response = await relay('[{"id":12345678901234567890,"price":4.20}]', {
      encoding: 'safejson',
      mapping: { collection: 'coins' },
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('{"coins":[{"id":12345678901234567890,"price":4.20}]}')
    expect(response.headers.get('x-krakend-completed')).toBe('true')
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
  })

  test('object relayed unchanged inside its group', async () => {
    const response = await relay('{"a":1.0,"b":[1e3]}', { group: 'g' }, 2)
    expect(await response.text()).toBe('{"g":{"a":1.0,"b":[1e3]}}')
  })

  test('empty object is not completed', async () => {
    const response = await relay('{}', {})
    expect(await response.text()).toBe('{}')
    expect(response.headers.get('x-krakend-completed')).toBe('false')
  })

  test('invalid JSON is a decode failure', async () => {
    const response = await relay('{"a":', { encoding: 'safejson' })
    const body = (await response.json()) as { error: { details: { failures: { kind: string }[] } } }
    expect(response.status).toBe(502)
    expect(body.error.details.failures[0]!.kind).toBe('decode')
  })

  test('object with renames takes the general path', async () => {
    const response = await relay('{"a": 1, "b": 2}', { mapping: { a: 'x' } })
    expect(await response.json()).toEqual({ b: 2, x: 1 })
  })

  test('json array without is_collection still fails', async () => {
    const response = await relay('[1,2]', {})
    expect(response.status).toBe(502)
  })
})

describe('deeply nested backend data', () => {
  test('is a 502 and counted', async () => {
    const depth = 50_000
    const text = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`
    const response = await relay(text, { mapping: { a: 'b' } })
    const body = (await response.json()) as { error: { code: string; message: string } }
    const stats = (await (await fetch(`${gatewayUrl}/__stats`)).json()) as {
      endpoints: { requests: number; responses: Record<string, number> }[]
    }

    expect(response.status).toBe(502)
    expect(body.error.code).toBe('TG_BACKEND_FAILED')
    expect(body.error.message).toStartWith('GET /r failed: the backend data could not be encoded')
    expect(stats.endpoints[0]!.requests).toBe(1)
    expect(stats.endpoints[0]!.responses['5xx']).toBe(1)
  })
})
