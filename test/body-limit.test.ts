import { afterEach, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import type { Gateway } from '../src/gateway.ts'
import { MAX_BACKEND_BODY_BYTES } from '../workers/body-limit.ts'
import { serviceConfig, startTestGateway } from './helpers/gateway.ts'

// Backend bodies are read up to a limit, with or without a Content-Length.

let gateway: Gateway | undefined
let server: Server<unknown> | undefined

afterEach(async () => {
  await gateway?.stop()
  await server?.stop(true)
  gateway = undefined
  server = undefined
})

const CHUNK = new Uint8Array(1024 * 1024).fill(120)

function startBackend(chunked: boolean, megabytes: number): string {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch() {
      if (!chunked) return new Response(new Uint8Array(megabytes * CHUNK.byteLength).fill(120))
      let sent = 0
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < megabytes) controller.enqueue(CHUNK)
          else controller.close()
        },
      })
      return new Response(stream)
    },
  })
  return `http://127.0.0.1:${server.port}`
}

describe.each([
  ['json', 'string'],
  ['no-op', 'no-op'],
])('backend body limit, %s', (_, encoding) => {
  for (const chunked of [false, true]) {
    test(`${chunked ? 'chunked' : 'sized'} body over the limit fails`, async () => {
      const host = startBackend(chunked, MAX_BACKEND_BODY_BYTES / CHUNK.byteLength + 1)
      const endpoint = {
        endpoint: '/big',
        ...(encoding === 'no-op' ? { output_encoding: 'no-op' } : {}),
        backend: [{ host: [host], url_pattern: '/b', encoding }],
      }
      gateway = await startTestGateway(serviceConfig([endpoint], { timeout: '10s' }))

      const response = await fetch(`${gateway.url}/big`)
      const body = (await response.json()) as {
        error: { details: { failures: { kind: string; message: string }[] } }
      }

      expect(response.status).toBe(502)
      expect(body.error.details.failures[0]!.kind).toBe('decode')
      expect(body.error.details.failures[0]!.message).toStartWith(
        'backend body exceeds the 32 MiB limit',
      )
    })
  }

  test('body under the limit passes', async () => {
    const host = startBackend(true, 2)
    const endpoint = {
      endpoint: '/ok',
      ...(encoding === 'no-op' ? { output_encoding: 'no-op' } : {}),
      backend: [{ host: [host], url_pattern: '/b', encoding }],
    }
    gateway = await startTestGateway(serviceConfig([endpoint]))

    const response = await fetch(`${gateway.url}/ok`)
    const text = await response.text()

    expect(response.status).toBe(200)
    const wrapper = encoding === 'no-op' ? 0 : '{"content":""}'.length
    expect(text.length).toBe(2 * CHUNK.byteLength + wrapper)
  })
})
