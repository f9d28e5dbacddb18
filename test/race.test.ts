import { describe, expect, test } from 'bun:test'
import type { Gateway } from '../src/gateway.ts'
import type { BackendStats, StatsSnapshot } from '../src/stats.ts'
import { waitFor } from './helpers/scripted-backend.ts'
import { serviceConfig } from './helpers/gateway.ts'
import { useServers } from './helpers/servers.ts'

// The race contract, run in-process (--workers 0) and on a pool of 2 worker threads.

const servers = useServers()
const backend = servers.backend

function hedgedEndpoint(host: string, calls = 3, extra: Record<string, unknown> = {}) {
  return {
    endpoint: '/race',
    concurrent_calls: calls,
    backend: [{ host: [host], url_pattern: '/item' }],
    ...extra,
  }
}

describe.each([0, 2])('race with %i workers', (workers) => {
  test('first success wins', async () => {
    const delays = [400, 20, 400]
    const server = backend((index) => ({ delayMs: delays[index], body: { served: index } }))
    const gateway = await servers.gateway(serviceConfig([hedgedEndpoint(server.url)]), workers)

    const response = await fetch(`${gateway.url}/race`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ served: 1 })
    expect(response.headers.get('x-krakend-completed')).toBe('true')
    expect(server.received.length).toBe(3)
  })

  test('failed first attempt is ignored', async () => {
    const server = backend((index) =>
      index === 0
        ? { status: 503, body: { down: true } }
        : { delayMs: 30 * index, body: { served: index } },
    )
    const gateway = await servers.gateway(serviceConfig([hedgedEndpoint(server.url)]), workers)

    const response = await fetch(`${gateway.url}/race`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ served: 1 })
  })

  test('all attempts failing returns 502', async () => {
    const server = backend(() => ({ status: 500, body: { error: 'boom' } }))
    const gateway = await servers.gateway(serviceConfig([hedgedEndpoint(server.url)]), workers)

    const response = await fetch(`${gateway.url}/race`)
    const body = (await response.json()) as {
      error: { code: string; details: { failures: unknown[] } }
    }

    expect(response.status).toBe(502)
    expect(response.headers.get('x-krakend-completed')).toBe('false')
    expect(body.error.code).toBe('TG_BACKEND_FAILED')
    expect(body.error.details.failures).toHaveLength(3)
    expect(body.error.details.failures).toContainEqual({
      backend: 0,
      attempt: 0,
      kind: 'status',
      host: server.url,
      status: 500,
      message: 'backend returned status 500',
    })
  })

  test('losers are aborted before they answer', async () => {
    const server = backend((index) => ({ delayMs: index === 0 ? 10 : 3000 }))
    const gateway = await servers.gateway(serviceConfig([hedgedEndpoint(server.url)]), workers)

    const response = await fetch(`${gateway.url}/race`)
    expect(response.status).toBe(200)

    expect(await waitFor(() => server.aborted.length === 2)).toBe(true)
    expect(server.aborted.sort()).toEqual([1, 2])
    expect(server.answered).toEqual([0])
    const stats = await backendStatsWhen(gateway, (stats) => stats.losers_aborted === 2)
    expect(stats.losers_aborted).toBe(2)
    expect(stats.wins_by_attempt).toEqual([1, 0, 0])
  })

  test('loser drain lets a near loser finish', async () => {
    const server = backend((index) => ({ delayMs: index === 0 ? 10 : 60 }))
    const endpoint = hedgedEndpoint(server.url, 2, {
      extra_config: { 'tailgate/hedging': { loser_drain: '1s' } },
    })
    const gateway = await servers.gateway(serviceConfig([endpoint]), workers)

    expect((await fetch(`${gateway.url}/race`)).status).toBe(200)

    expect(await waitFor(() => server.answered.length === 2)).toBe(true)
    expect(server.aborted).toEqual([])
    const stats = await backendStatsWhen(gateway, (stats) => stats.losers_drained === 1)
    expect(stats.losers_drained).toBe(1)
    expect(stats.losers_aborted).toBe(0)
  })

  test('endpoint timeout aborts every attempt', async () => {
    const server = backend(() => ({ delayMs: 3000 }))
    const gateway = await servers.gateway(
      serviceConfig([hedgedEndpoint(server.url, 2, { timeout: '200ms' })]),
      workers,
    )

    const started = performance.now()
    const response = await fetch(`${gateway.url}/race`)
    const elapsed = performance.now() - started
    const body = (await response.json()) as { error: { code: string } }

    expect(response.status).toBe(504)
    expect(body.error.code).toBe('TG_BACKEND_TIMEOUT')
    expect(elapsed).toBeLessThan(2500)
    expect(await waitFor(() => server.aborted.length === 2)).toBe(true)
  })

  test('unreachable backend returns 502 network failure', async () => {
    const closed = backend(() => ({}))
    const url = closed.url
    await closed.stop()
    const gateway = await servers.gateway(serviceConfig([hedgedEndpoint(url, 2)]), workers)

    const response = await fetch(`${gateway.url}/race`)
    const body = (await response.json()) as { error: { details: { failures: { kind: string }[] } } }

    expect(response.status).toBe(502)
    expect(body.error.details.failures.map((failure) => failure.kind)).toEqual([
      'network',
      'network',
    ])
  })
})

// Losers settle after the response has gone, so their counters may lag it by a few milliseconds.
async function backendStatsWhen(
  gw: Gateway,
  condition: (stats: BackendStats) => boolean,
): Promise<BackendStats> {
  let stats: BackendStats
  const deadline = Date.now() + 2000
  do {
    const snapshot = (await (await fetch(`${gw.url}/__stats`)).json()) as StatsSnapshot
    stats = snapshot.endpoints[0]!.backends[0]!
    if (condition(stats)) break
    await Bun.sleep(10)
  } while (Date.now() < deadline)
  return stats
}
