import { describe, expect, test } from 'bun:test'
import { serviceConfig } from './helpers/gateway.ts'
import { useServers } from './helpers/servers.ts'

// no-op output relays the backend's status, headers and body, in-process and through workers,
// where the body crosses the thread boundary as a transferred buffer.

const servers = useServers()

describe.each([0, 2])('no-op output with %i workers', (workers) => {
  test('relays status, headers and body', async () => {
    const backend = servers.backend(() => ({
      status: 503,
      text: 'busy, retry later',
      headers: { 'content-type': 'text/plain', 'retry-after': '7', 'x-upstream': 'b1' },
    }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/n',
          output_encoding: 'no-op',
          backend: [{ host: [backend.url], url_pattern: '/x' }],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/n`)

    expect(response.status).toBe(503)
    expect(await response.text()).toBe('busy, retry later')
    expect(response.headers.get('content-type')).toBe('text/plain')
    expect(response.headers.get('retry-after')).toBe('7')
    expect(response.headers.get('x-upstream')).toBe('b1')
    expect(response.headers.get('x-krakend-completed')).toBe('false')
  })

  test('drops headers that Connection names', async () => {
    const backend = servers.backend(() => ({
      text: 'ok',
      headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'x-kept': 'yes' },
    }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/n',
          output_encoding: 'no-op',
          backend: [{ host: [backend.url], url_pattern: '/x' }],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/n`)

    expect(response.headers.get('x-kept')).toBe('yes')
    expect(response.headers.get('x-hop')).toBeNull()
  })

  test('relays a binary body byte for byte', async () => {
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')
    const backend = servers.backend(() => ({
      text: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    }))
    const gateway = await servers.gateway(
      serviceConfig([
        {
          endpoint: '/bin',
          output_encoding: 'no-op',
          backend: [{ host: [backend.url], url_pattern: '/x' }],
        },
      ]),
      workers,
    )

    const response = await fetch(`${gateway.url}/bin`)
    const body = new Uint8Array(await response.arrayBuffer())

    expect(response.status).toBe(200)
    expect(Buffer.from(body).equals(Buffer.from(bytes))).toBe(true)
  })
})
