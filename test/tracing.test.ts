import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { startGateway, type Gateway } from '../src/gateway.ts'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver.ts'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { writeConfig } from './helpers/gateway.ts'

const SERVER = 2
const CLIENT = 3
const INTERNAL = 1
const ERROR = 2
const CLIENT_TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const CLIENT_SPAN_ID = 'b7ad6b7169203331'

const OTEL_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_TRACES_EXPORTER',
]

let gateway: Gateway | undefined
let receiver: OtlpReceiver | undefined
let backend: ScriptedBackend | undefined

afterEach(async () => {
  await gateway?.stop()
  await receiver?.stop()
  await backend?.stop()
  for (const name of OTEL_VARIABLES) delete process.env[name]
  gateway = receiver = backend = undefined
})

function raceConfig(backendUrl: string, extra: Record<string, unknown> = {}) {
  return {
    version: 3,
    host: [backendUrl],
    timeout: '2s',
    ...extra,
    endpoints: [
      { endpoint: '/race/{id}', concurrent_calls: 3, backend: [{ url_pattern: '/items/{id}' }] },
      { endpoint: '/fail', backend: [{ url_pattern: '/fail' }] },
    ],
  }
}

/**
 * Points tracing at a new receiver with http/json, a short batch delay, and export timeouts that
 * keep a stuck export from outlasting the test's hooks.
 */
function exportTo(receiver: OtlpReceiver): void {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json'
  process.env.OTEL_BSP_SCHEDULE_DELAY = '20'
  process.env.OTEL_BSP_EXPORT_TIMEOUT = '1500'
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '1000'
}

/** Starts a receiver, a backend and a gateway exporting http/json to the receiver. */
async function startTraced(workers: number, delayMs: (n: number) => number = () => 0) {
  receiver = startOtlpReceiver()
  backend = startScriptedBackend((n) => ({ delayMs: delayMs(n), body: { id: 'a' } }))
  exportTo(receiver)
  const configFile = writeConfig(raceConfig(backend.url))
  gateway = await startGateway({ configFile, port: 0, hostname: '127.0.0.1', workers })
  return { receiver, backend, gateway }
}

function spansOf(spans: ReceivedSpan[], traceId: string) {
  return spans.filter((span) => span.traceId === traceId)
}

describe('tracing of a 3-call endpoint', () => {
  test('span tree has three attempts and one winner', async () => {
    // The second request to arrive gets the first response; the others would take 300 ms.
    const { receiver, backend, gateway } = await startTraced(2, (n) => (n === 1 ? 10 : 300))
    const response = await fetch(`${gateway.url}/race/a`)
    expect(response.status).toBe(200)

    const server = () => receiver.spans.find((span) => span.kind === SERVER)
    await receiver.waitFor(
      () => !!server() && spansOf(receiver.spans, server()!.traceId).length === 5,
    )
    const root = server()!
    const trace = spansOf(receiver.spans, root.traceId)
    const backends = trace.filter((span) => span.kind === INTERNAL)
    const attempts = trace.filter((span) => span.kind === CLIENT)

    expect(root.name).toBe('GET /race/{id}')
    expect(root.parentSpanId).toBe('')
    expect(root.attributes['http.route']).toBe('/race/{id}')
    expect(root.attributes['http.request.method']).toBe('GET')
    expect(root.attributes['url.path']).toBe('/race/a')
    expect(root.attributes['client.address']).toBe('127.0.0.1')
    expect(root.attributes['http.response.status_code']).toBe(200)
    expect(root.resource['service.name']).toBe('tailgate')

    expect(backends).toHaveLength(1)
    expect(backends[0]!.name).toBe('backend GET /items/{id}')
    expect(backends[0]!.parentSpanId).toBe(root.spanId)
    expect(backends[0]!.attributes['tailgate.concurrent_calls']).toBe(3)

    expect(attempts).toHaveLength(3)
    for (const attempt of attempts) expect(attempt.parentSpanId).toBe(backends[0]!.spanId)
    const indexes = attempts.map((span) => span.attributes['tailgate.attempt.index']).sort()
    expect(indexes).toEqual([0, 1, 2])
    const winners = attempts.filter((span) => span.attributes['tailgate.attempt.won'] === true)
    expect(winners).toHaveLength(1)
    const losers = attempts.filter((span) => span.attributes['tailgate.attempt.won'] === false)
    expect(losers.map((span) => span.attributes['tailgate.attempt.aborted'])).toEqual([true, true])
    expect(losers.map((span) => span.statusCode)).toEqual([0, 0])

    const winner = winners[0]!
    expect(winner.attributes['http.response.status_code']).toBe(200)
    expect(winner.attributes['tailgate.attempt.host']).toBe(backend.url)
    expect(winner.attributes['url.full']).toBe(`${backend.url}/items/a`)
    expect(backends[0]!.attributes['tailgate.race.winner']).toBe(
      winner.attributes['tailgate.attempt.index'] as number,
    )
  })

  test('each attempt sends its own traceparent', async () => {
    const { receiver, backend, gateway } = await startTraced(2, (n) => (n === 0 ? 30 : 300))
    await fetch(`${gateway.url}/race/a`)
    await receiver.waitFor((spans) => spans.filter((span) => span.kind === CLIENT).length === 3)

    const attempts = receiver.spans.filter((span) => span.kind === CLIENT)
    const sent = backend.received.map((request) => request.headers.traceparent ?? null)
    const expected = attempts.map((span) => `00-${span.traceId}-${span.spanId}-01`)
    expect(sent.sort()).toEqual(expected.sort())
  })

  test('client traceparent is continued', async () => {
    const { receiver, gateway } = await startTraced(0)
    const response = await fetch(`${gateway.url}/race/a`, {
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    })
    expect(response.status).toBe(200)

    await receiver.waitFor((spans) => spansOf(spans, CLIENT_TRACE_ID).length === 5)
    const trace = spansOf(receiver.spans, CLIENT_TRACE_ID)
    const root = trace.find((span) => span.kind === SERVER)!
    expect(root.parentSpanId).toBe(CLIENT_SPAN_ID)
    expect(trace.filter((span) => span.kind === CLIENT)).toHaveLength(3)
  })

  test('unsampled client traceparent exports nothing', async () => {
    const started = await startTraced(0)
    await fetch(`${started.gateway.url}/race/a`, {
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-00` },
    })
    await started.gateway.stop()
    gateway = undefined
    const { receiver, backend } = started

    expect(receiver.spans).toHaveLength(0)
    const sent = backend.received.map((request) => request.headers.traceparent?.slice(0, 35))
    expect(sent).toEqual([
      `00-${CLIENT_TRACE_ID}`,
      `00-${CLIENT_TRACE_ID}`,
      `00-${CLIENT_TRACE_ID}`,
    ])
  })

  test('failed backend marks spans as errors', async () => {
    receiver = startOtlpReceiver()
    backend = startScriptedBackend(() => ({ status: 500 }))
    exportTo(receiver)
    const configFile = writeConfig(raceConfig(backend.url))
    gateway = await startGateway({ configFile, port: 0, workers: 1 })

    const response = await fetch(`${gateway.url}/fail`)
    expect(response.status).toBe(502)
    await receiver.waitFor((spans) => spans.length === 3)
    const root = receiver.spans.find((span) => span.kind === SERVER)!
    const race = receiver.spans.find((span) => span.kind === INTERNAL)!
    const attempt = receiver.spans.find((span) => span.kind === CLIENT)!
    expect(root.statusCode).toBe(ERROR)
    expect(root.attributes['error.type']).toBe('502')
    expect(race.statusCode).toBe(ERROR)
    expect(race.attributes['tailgate.race.winner']).toBe(-1)
    expect(attempt.statusCode).toBe(ERROR)
    expect(attempt.attributes['error.type']).toBe('500')
    expect(attempt.attributes['tailgate.attempt.outcome']).toBe('failed')
  })
})

describe('tracing across a reload', () => {
  test('reloaded endpoint is traced', async () => {
    receiver = startOtlpReceiver()
    backend = startScriptedBackend(() => ({ body: { id: 'a' } }))
    exportTo(receiver)
    const configFile = writeConfig(raceConfig(backend.url))
    gateway = await startGateway({ configFile, port: 0, workers: 1 })

    const next = raceConfig(backend.url)
    next.endpoints.push({ endpoint: '/added', backend: [{ url_pattern: '/added' }] })
    writeFileSync(configFile, JSON.stringify(next))
    expect((await gateway.reload('test')).status).toBe('reloaded')
    expect((await fetch(`${gateway.url}/added`)).status).toBe(200)

    const isAdded = (span: ReceivedSpan) => span.name === 'GET /added'
    await receiver.waitFor((spans) => spans.some(isAdded))
    const root = receiver.spans.find(isAdded)!
    await receiver.waitFor((spans) => spansOf(spans, root.traceId).length === 3)
    const children = spansOf(receiver.spans, root.traceId).filter((span) => span !== root)
    expect(children.map((span) => span.name).sort()).toEqual(['GET /added', 'backend GET /added'])
  })
})

describe('tracing configuration', () => {
  test('off by default sends no traceparent', async () => {
    // Every attempt is sent before the first response ends the race.
    backend = startScriptedBackend(() => ({ delayMs: 50 }))
    const configFile = writeConfig(raceConfig(backend.url))
    gateway = await startGateway({ configFile, port: 0, workers: 1 })

    await fetch(`${gateway.url}/race/a`)
    expect(backend.received).toHaveLength(3)
    expect(backend.received.map((request) => request.headers.traceparent ?? null)).toEqual([
      null,
      null,
      null,
    ])
  })

  test('extra_config exports http/protobuf', async () => {
    receiver = startOtlpReceiver()
    backend = startScriptedBackend(() => ({}))
    const telemetry = {
      otlp_endpoint: receiver.url,
      otlp_protocol: 'http/protobuf',
      service_name: 'edge',
    }
    const configFile = writeConfig(
      raceConfig(backend.url, { extra_config: { 'tailgate/telemetry': telemetry } }),
    )
    gateway = await startGateway({ configFile, port: 0, workers: 1 })

    await fetch(`${gateway.url}/race/a`, {
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    })
    await gateway.stop()
    gateway = undefined

    const traceId = Buffer.from(CLIENT_TRACE_ID, 'hex')
    const exports = receiver.exports
    expect(exports.length).toBeGreaterThan(0)
    for (const received of exports) {
      expect(received.path).toBe('/v1/traces')
      expect(received.contentType).toBe('application/x-protobuf')
    }
    const bodies = Buffer.concat(exports.map((received) => received.body))
    expect(bodies.includes(traceId)).toBe(true)
    expect(bodies.includes(Buffer.from('edge'))).toBe(true)
  })
})
