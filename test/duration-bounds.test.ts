import { afterEach, describe, expect, test } from 'bun:test'
import { ConfigError, parseConfigText } from '../src/config/load.ts'
import type { Gateway } from '../src/gateway.ts'
import { serviceConfig, startTestGateway } from './helpers/gateway.ts'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'

const HOST = ['http://127.0.0.1:9']

let gateway: Gateway | undefined
let backend: ScriptedBackend | undefined

afterEach(async () => {
  await gateway?.stop()
  await backend?.stop()
  gateway = undefined
  backend = undefined
})

/** Loads config text and returns its errors as `path: message`. */
function errorsOf(text: string): string[] {
  try {
    parseConfigText(text, 'krakend.json')
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => `${problem.path}: ${problem.message}`)
  }
  return []
}

function endpointWith(settings: Record<string, unknown>): string {
  return JSON.stringify(
    serviceConfig([{ endpoint: '/a', backend: [{ host: HOST, url_pattern: '/a' }], ...settings }]),
  )
}

describe('duration bounds', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'timeout above 24h',
      { timeout: '1000h' },
      'endpoints[0].timeout: must be at most "24h"; got "1000h"',
    ],
    [
      'bare timeout above 24h',
      { timeout: 86_400_000_000_001 },
      'endpoints[0].timeout: must be at most "24h"; got 86400000000001',
    ],
    ['timeout of 0s', { timeout: '0s' }, 'endpoints[0].timeout: must be greater than 0; got "0s"'],
    ['timeout of bare 0', { timeout: 0 }, 'endpoints[0].timeout: must be greater than 0; got 0'],
    [
      'fractional cache_ttl',
      { cache_ttl: '1.5s' },
      'endpoints[0].cache_ttl: must be a whole number of seconds such as "60s"; got "1.5s"',
    ],
    [
      'huge cache_ttl',
      { cache_ttl: '100000000000000000000000h' },
      'endpoints[0].cache_ttl: must be at most "2147483647s" (about 68 years); got "100000000000000000000000h"',
    ],
    [
      'loser_drain above 24h',
      { extra_config: { 'tailgate/hedging': { loser_drain: '25h' } } },
      'endpoints[0].extra_config["tailgate/hedging"].loser_drain: must be at most "24h"; got "25h"',
    ],
  ]

  for (const [name, settings, expected] of cases) {
    test(name, () => {
      expect(errorsOf(endpointWith(settings))).toEqual([expected])
    })
  }

  test('service timeout of 0s', () => {
    const text = JSON.stringify({ ...serviceConfig([]), timeout: '0s' })

    expect(errorsOf(text)).toEqual(['timeout: must be greater than 0; got "0s"'])
  })

  test('number out of range keeps its text', () => {
    const text = '{"version": 3, "timeout": 1e400, "endpoints": []}'

    expect(errorsOf(text)).toEqual([
      'timeout: must be a duration such as "2s" or "300ms"; got 1e400, which is out of range for a number',
    ])
  })

  test('number out of range has no nanoseconds warning', () => {
    try {
      parseConfigText('{"version": 3, "timeout": 1e400, "endpoints": []}', 'krakend.json')
      throw new Error('expected a ConfigError')
    } catch (error) {
      const warnings = (error as ConfigError).problems.filter((p) => p.severity === 'warning')
      expect(warnings).toEqual([])
    }
  })

  test('whole seconds from minutes are valid', () => {
    const loaded = parseConfigText(endpointWith({ cache_ttl: '4.35m' }), 'krakend.json')

    expect(loaded.config.endpoints![0]!.cache_ttl).toBe('4.35m')
  })
})

describe('duration bounds on a running gateway', () => {
  test('timeout of 24h serves the backend', async () => {
    backend = startScriptedBackend(() => ({ delayMs: 20, body: { ok: true } }))
    gateway = await startTestGateway(
      serviceConfig([
        { endpoint: '/a', timeout: '24h', backend: [{ host: [backend.url], url_pattern: '/a' }] },
      ]),
    )

    const response = await fetch(`${gateway.url}/a`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true })
  })

  test('cache_ttl at the maximum', async () => {
    backend = startScriptedBackend(() => ({ body: { ok: true } }))
    gateway = await startTestGateway(
      serviceConfig([
        {
          endpoint: '/a',
          cache_ttl: '2147483647s',
          backend: [{ host: [backend.url], url_pattern: '/a' }],
        },
        {
          endpoint: '/b',
          cache_ttl: '4.35m',
          backend: [{ host: [backend.url], url_pattern: '/a' }],
        },
      ]),
    )

    const atMaximum = await fetch(`${gateway.url}/a`)
    const fromMinutes = await fetch(`${gateway.url}/b`)

    expect(atMaximum.headers.get('cache-control')).toBe('public, max-age=2147483647')
    expect(fromMinutes.headers.get('cache-control')).toBe('public, max-age=261')
  })
})
