import { afterEach, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { startGateway, type Gateway } from '../src/gateway.ts'
import { StatsRegistry, type StatsSnapshot } from '../src/stats.ts'
import { Field } from '../src/stats-layout.ts'
import { StatsWriter } from '../workers/stats-writer.ts'
import { serviceConfig, writeConfig } from './helpers/gateway.ts'
import { saveInPlace } from './helpers/reload.ts'

let gateway: Gateway | undefined
let backend: Server<unknown> | undefined

afterEach(async () => {
  await gateway?.stop()
  await backend?.stop(true)
  gateway = undefined
  backend = undefined
})

describe('stats registry', () => {
  test('keys that do not fit assign nothing', () => {
    const registry = new StatsRegistry(4)
    registry.assign(['a', 'b'])

    expect(() => registry.assign(['a', 'b', 'c', 'd', 'e'])).toThrow(
      'stats capacity of 4 slots is exhausted: 3 new endpoints and backends need a slot, but only 2 are free',
    )
    expect([...registry.assign(['a', 'b', 'f', 'g'])]).toEqual([
      ['a', 0],
      ['b', 1],
      ['f', 2],
      ['g', 3],
    ])
  })

  test('kept key keeps its slot and counters', () => {
    const registry = new StatsRegistry(4)
    const writer = new StatsWriter(registry.buffer)
    const first = registry.assign(['a', 'b'])
    writer.add(first.get('a')!, Field.requests, 5)

    const second = registry.assign(['c', 'a'])

    expect(second.get('a')).toBe(first.get('a')!)
    expect(registry.read(second.get('a')!, Field.requests)).toBe(5)
  })

  test('removed key slot is reused from zero', () => {
    const registry = new StatsRegistry(2)
    const writer = new StatsWriter(registry.buffer)
    const first = registry.assign(['a', 'b'])
    writer.add(first.get('a')!, Field.requests, 5)
    writer.latency(first.get('a')!, 12)

    const second = registry.assign(['b', 'c'])

    expect(second.get('c')).toBe(first.get('a')!)
    expect(registry.read(second.get('c')!, Field.requests)).toBe(0)
    expect(registry.read(second.get('c')!, Field.latencyCount)).toBe(0)
    expect(registry.histogram(second.get('c')!).every((count) => count === 0)).toBe(true)
  })

  test('slot in use is not reused', () => {
    const registry = new StatsRegistry(2)
    const first = registry.assign(['a', 'b'])

    expect(() => registry.assign(['c'], new Set([first.get('a')!, first.get('b')!]))).toThrow(
      'only 0 are free while the plans in use hold 2',
    )
    expect([...registry.assign(['c'], new Set([first.get('b')!]))]).toEqual([['c', 0]])
  })
})

describe('stats slots across reloads', () => {
  // 700 endpoints of one backend each use 1400 slots: two such configs fit the buffer of 4096
  // slots, and a third one while the first still serves a request does not.
  function manyEndpoints(prefix: string, host: string, extra: string[] = []) {
    const paths = [...Array.from({ length: 700 }, (_, i) => `/${prefix}${i}`), ...extra]
    return serviceConfig(
      paths.map((path) => ({ endpoint: path, backend: [{ host: [host], url_pattern: '/x' }] })),
      { timeout: '20s' },
    )
  }

  test('rejected reload assigns no slot', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    backend = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch() {
        await released
        return Response.json({ ok: true })
      },
    })
    const host = `http://127.0.0.1:${backend.port}`
    const configFile = writeConfig(manyEndpoints('a', host))
    gateway = await startGateway({ configFile, port: 0, hostname: '127.0.0.1', workers: 0 })
    // The last keys of a config are the first whose slots are reused.
    const slowRequest = fetch(`${gateway.url}/a699`)
    while (backend.pendingRequests === 0) await Bun.sleep(5)

    saveInPlace(configFile, manyEndpoints('b', host))
    const renamed = await gateway.reload()
    saveInPlace(configFile, manyEndpoints('c', host))
    const tooMany = await gateway.reload()
    saveInPlace(configFile, manyEndpoints('b', host, ['/z']))
    const oneMore = await gateway.reload()
    release()
    const slowResponse = await slowRequest
    saveInPlace(configFile, manyEndpoints('d', host))
    const afterDrain = await gateway.reload()
    const stats = (await (await fetch(`${gateway.url}/__stats`)).json()) as StatsSnapshot

    expect(renamed.status).toBe('reloaded')
    expect(tooMany.status).toBe('rejected')
    if (tooMany.status !== 'rejected') return
    expect(tooMany.error.message).toBe(
      'reload failed: stats capacity of 4096 slots is exhausted: 1400 new endpoints and backends need a slot, but only 1296 are free while the plans in use hold 2800; reload again once the requests of earlier config versions have finished, or restart the gateway',
    )
    expect(oneMore.status).toBe('reloaded')
    expect(slowResponse.status).toBe(200)
    expect(afterDrain.status).toBe('reloaded')
    expect(stats.endpoints.length).toBe(700)
    expect(stats.endpoints.filter((endpoint) => endpoint.requests !== 0)).toEqual([])
  })
})
