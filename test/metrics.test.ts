import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { startGateway, type Gateway } from '../src/gateway.ts'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { writeConfig } from './helpers/gateway.ts'
import { parsePrometheusText, sumOf, type Sample } from './helpers/prometheus-text.ts'
import { toHistogram } from '../src/telemetry/latency-histograms.ts'
import { bucketOf, HISTOGRAM_BUCKETS } from '../src/stats-layout.ts'

const RACES = 4
const FAILURES = 2

let gateway: Gateway | undefined
let backends: ScriptedBackend[] = []

afterEach(async () => {
  await gateway?.stop()
  for (const backend of backends) await backend.stop()
  gateway = undefined
  backends = []
})

async function scrape(): Promise<{ response: Response; samples: Sample[] }> {
  const response = await fetch(`${gateway!.url}/__metrics`)
  return { response, samples: parsePrometheusText(await response.text()) }
}

/** Scrapes until `ready` holds, because losers are counted when their abort completes. */
async function scrapeUntil(ready: (samples: Sample[]) => boolean): Promise<Sample[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { samples } = await scrape()
    if (ready(samples)) return samples
    await Bun.sleep(20)
  }
  throw new Error('metrics did not reach the expected values in 2 s')
}

describe('/__metrics', () => {
  test('counters match the traffic sent', async () => {
    // One attempt of each race responds in 5 ms, the two others would take 300 ms.
    const fast = startScriptedBackend((n) => ({ delayMs: n % 3 === 0 ? 5 : 300 }))
    const failing = startScriptedBackend(() => ({ status: 500 }))
    backends = [fast, failing]
    const configFile = writeConfig({
      version: 3,
      endpoints: [
        {
          endpoint: '/race',
          concurrent_calls: 3,
          backend: [{ host: [fast.url], url_pattern: '/x' }],
        },
        { endpoint: '/fail', backend: [{ host: [failing.url], url_pattern: '/x' }] },
      ],
    })
    gateway = await startGateway({ configFile, port: 0, workers: 2 })

    for (let i = 0; i < RACES; i++) expect((await fetch(`${gateway.url}/race`)).status).toBe(200)
    for (let i = 0; i < FAILURES; i++) expect((await fetch(`${gateway.url}/fail`)).status).toBe(502)

    const race = { http_route: '/race' }
    const fail = { http_route: '/fail' }
    const samples = await scrapeUntil(
      (s) => sumOf(s, 'tailgate_backend_losers_total', race) === 2 * RACES,
    )
    const requests = 'tailgate_requests_total'
    expect(sumOf(samples, requests, { ...race, tailgate_status_class: '2xx' })).toBe(RACES)
    expect(sumOf(samples, requests, { ...race, tailgate_status_class: '5xx' })).toBe(0)
    expect(sumOf(samples, requests, { ...fail, tailgate_status_class: '5xx' })).toBe(FAILURES)
    expect(sumOf(samples, 'tailgate_backend_races_total', race)).toBe(RACES)
    expect(sumOf(samples, 'tailgate_backend_attempts_total', race)).toBe(3 * RACES)
    expect(sumOf(samples, 'tailgate_backend_hedges_total', race)).toBe(2 * RACES)
    expect(sumOf(samples, 'tailgate_backend_wins_total', race)).toBe(RACES)
    const aborted = { ...race, tailgate_loser_outcome: 'aborted' }
    expect(sumOf(samples, 'tailgate_backend_losers_total', aborted)).toBe(2 * RACES)
    expect(sumOf(samples, 'tailgate_backend_hedging_extra_load', race)).toBe(2)
    expect(sumOf(samples, 'tailgate_backend_hedging_extra_load', fail)).toBe(0)
    const statusFailures = { ...fail, error_type: 'status' }
    expect(sumOf(samples, 'tailgate_backend_failures_total', statusFailures)).toBe(FAILURES)
    expect(sumOf(samples, 'tailgate_backend_failures_total', race)).toBe(0)
    expect(sumOf(samples, 'tailgate_pool_queue_size')).toBe(0)
    expect(sumOf(samples, 'tailgate_pool_utilization')).toBe(0)

    expect(sumOf(samples, 'tailgate_request_duration_count', race)).toBe(RACES)
    expect(sumOf(samples, 'tailgate_request_duration_count', fail)).toBe(FAILURES)
    expect(sumOf(samples, 'tailgate_backend_duration_count', race)).toBe(RACES)
    const infinity = { ...race, le: '+Inf' }
    expect(sumOf(samples, 'tailgate_backend_duration_bucket', infinity)).toBe(RACES)
    // The winners took about 5 ms and no race waited for a 300 ms loser.
    expect(sumOf(samples, 'tailgate_backend_duration_bucket', { ...race, le: '0.262144' })).toBe(
      RACES,
    )
  })

  test('responds with the Prometheus content type', async () => {
    backends = [startScriptedBackend(() => ({}))]
    const configFile = writeConfig({
      version: 3,
      endpoints: [{ endpoint: '/one', backend: [{ host: [backends[0]!.url], url_pattern: '/' }] }],
    })
    gateway = await startGateway({ configFile, port: 0, workers: 0 })

    const { response, samples } = await scrape()
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(sumOf(samples, 'tailgate_requests_total')).toBe(0)
    expect(sumOf(samples, 'target_info', { service_name: 'tailgate' })).toBe(1)
  })
})

describe('/__metrics across a reload', () => {
  test('added endpoint gets its series', async () => {
    backends = [startScriptedBackend(() => ({}))]
    const host = [backends[0]!.url]
    const first = { endpoint: '/one', backend: [{ host, url_pattern: '/' }] }
    const configFile = writeConfig({ version: 3, endpoints: [first] })
    gateway = await startGateway({ configFile, port: 0, workers: 1 })
    expect((await fetch(`${gateway.url}/one`)).status).toBe(200)

    const added = { endpoint: '/two', backend: [{ host, url_pattern: '/' }] }
    writeFileSync(configFile, JSON.stringify({ version: 3, endpoints: [first, added] }))
    expect((await gateway.reload('test')).status).toBe('reloaded')
    expect((await fetch(`${gateway.url}/two`)).status).toBe(200)

    const { samples } = await scrape()
    const ok = { tailgate_status_class: '2xx' }
    expect(sumOf(samples, 'tailgate_requests_total', { ...ok, http_route: '/one' })).toBe(1)
    expect(sumOf(samples, 'tailgate_requests_total', { ...ok, http_route: '/two' })).toBe(1)
  })
})

describe('latency histogram conversion', () => {
  test('buffer buckets fold into doublings', () => {
    const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0)
    counts[bucketOf(100)]! += 1 // 100 µs: below the first bound, 256 µs
    counts[bucketOf(300)]! += 2 // 300 µs: below 512 µs
    counts[bucketOf(5_000)]! += 3 // 5 ms: below 8.192 ms
    counts[bucketOf(60_000_000)]! += 1 // 60 s: above the last bound, 33.5 s
    const histogram = toHistogram(counts, 1234)

    expect(histogram.count).toBe(7)
    expect(histogram.sum).toBe(0.001234)
    expect(histogram.buckets.boundaries[0]).toBe(0.000256)
    expect(histogram.buckets.counts[0]).toBe(1)
    expect(histogram.buckets.counts[1]).toBe(2)
    expect(histogram.buckets.boundaries[5]).toBe(0.008192)
    expect(histogram.buckets.counts[5]).toBe(3)
    expect(histogram.buckets.counts.at(-1)).toBe(1)
    expect(histogram.buckets.counts.reduce((sum, count) => sum + count)).toBe(7)
  })
})
