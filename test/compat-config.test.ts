import { describe, expect, test } from 'bun:test'
import { ConfigError, parseConfigText } from '../src/config/load.ts'
import type { ServiceConfig } from '../src/config/schema.ts'
import { compilePlans, DEFAULT_TIMEOUT_MS } from '../src/plan.ts'
import { StatsRegistry } from '../src/stats.ts'

// Config rules and plan compilation for KrakenD features: the proxy and router namespaces, their
// old long names, encodings, placeholders and timeouts.

const HOST = ['http://127.0.0.1:1']

function problems(config: object): { severity: string; path: string; message: string }[] {
  try {
    const loaded = parseConfigText(
      JSON.stringify({ version: 3, host: HOST, ...config }),
      'krakend.json',
    )
    return loaded.warnings.map(({ severity, path, message }) => ({ severity, path, message }))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems.map(({ severity, path, message }) => ({ severity, path, message }))
  }
}

function plan(endpoint: object, service: object = {}) {
  const config = {
    version: 3,
    host: HOST,
    endpoints: [{ endpoint: '/v', ...endpoint }],
    ...service,
  }
  return compilePlans(config as ServiceConfig, new StatsRegistry())[0]!
}

const twoBackends = [{ url_pattern: '/a' }, { url_pattern: '/b' }]

describe('flatmap_filter rules', () => {
  test('move without a destination is an error', () => {
    const found = problems({
      endpoints: [
        {
          endpoint: '/v',
          backend: [
            {
              url_pattern: '/',
              extra_config: { proxy: { flatmap_filter: [{ type: 'move', args: ['a'] }] } },
            },
          ],
        },
      ],
    })
    expect(found).toEqual([
      {
        severity: 'error',
        path: 'endpoints[0].backend[0].extra_config.proxy.flatmap_filter[0].args',
        message: 'flatmap move needs two paths, [source, destination]; got 1',
      },
    ])
  })

  test('an unknown operation type is a warning', () => {
    const found = problems({
      endpoints: [
        {
          endpoint: '/v',
          backend: [
            {
              url_pattern: '/',
              extra_config: { proxy: { flatmap_filter: [{ type: 'copy', args: ['a', 'b'] }] } },
            },
          ],
        },
      ],
    })
    expect(found.map((p) => [p.severity, p.path])).toEqual([
      ['warning', 'endpoints[0].backend[0].extra_config.proxy.flatmap_filter[0].type'],
    ])
  })

  test('append into a wildcard path is an error', () => {
    const found = problems({
      endpoints: [
        {
          endpoint: '/v',
          backend: [
            {
              url_pattern: '/',
              extra_config: { proxy: { flatmap_filter: [{ type: 'append', args: ['a', 'b.*'] }] } },
            },
          ],
        },
      ],
    })
    expect(found.map((p) => [p.severity, p.path])).toEqual([
      ['error', 'endpoints[0].backend[0].extra_config.proxy.flatmap_filter[0].args[1]'],
    ])
  })

  test('allow, deny and mapping beside a flatmap are warned and ignored', () => {
    const backend = {
      url_pattern: '/',
      allow: ['a'],
      mapping: { a: 'b' },
      extra_config: { proxy: { flatmap_filter: [{ type: 'del', args: ['x'] }] } },
    }
    const found = problems({ endpoints: [{ endpoint: '/v', backend: [backend] }] })
    expect(found.map((p) => p.path)).toEqual([
      'endpoints[0].backend[0].allow',
      'endpoints[0].backend[0].mapping',
    ])
    const compiled = plan({ backend: [backend] }).backends[0]!
    expect(compiled.allow).toBeNull()
    expect(compiled.mapping).toBeNull()
    expect(compiled.flatmap).toEqual([{ type: 'del', args: [['x']] }])
  })

  test('an endpoint flatmap with one backend is warned and dropped', () => {
    const endpoint = {
      endpoint: '/v',
      extra_config: { proxy: { flatmap_filter: [{ type: 'del', args: ['x'] }] } },
      backend: [{ url_pattern: '/' }],
    }
    expect(problems({ endpoints: [endpoint] }).map((p) => p.path)).toEqual([
      'endpoints[0].extra_config.proxy.flatmap_filter',
    ])
    expect(plan(endpoint).flatmap).toBeNull()
  })
})

describe('proxy and router namespaces', () => {
  test('sequential placeholders need the sequential proxy', () => {
    const found = problems({
      endpoints: [
        { endpoint: '/v', backend: [{ url_pattern: '/a' }, { url_pattern: '/{resp0_id}' }] },
      ],
    })
    expect(found).toEqual([
      {
        severity: 'warning',
        path: 'endpoints[0].backend[1].url_pattern',
        message:
          'placeholder {resp0_id} is filled only when extra_config.proxy.sequential is true and the endpoint has several backends; the text {resp0_id} is sent as is',
      },
    ])
  })

  test('a placeholder referring to a later backend is warned', () => {
    const found = problems({
      endpoints: [
        {
          endpoint: '/v',
          extra_config: { proxy: { sequential: true } },
          backend: [{ url_pattern: '/{resp1_id}' }, { url_pattern: '/b' }],
        },
      ],
    })
    expect(found.map((p) => [p.severity, p.path])).toEqual([
      ['warning', 'endpoints[0].backend[0].url_pattern'],
    ])
  })

  test('strategy sequential turns the sequential proxy on', () => {
    expect(
      plan({ extra_config: { proxy: { strategy: 'sequential' } }, backend: twoBackends })
        .sequential,
    ).toBe(true)
    expect(
      plan({ extra_config: { proxy: { sequential: true } }, backend: twoBackends }).sequential,
    ).toBe(true)
    expect(
      plan({
        extra_config: { proxy: { sequential: true, strategy: 'parallel' } },
        backend: twoBackends,
      }).sequential,
    ).toBe(false)
  })

  test('an unknown static strategy is warned and behaves as always', () => {
    const endpoint = {
      endpoint: '/v',
      extra_config: { proxy: { static: { strategy: 'sometimes', data: { a: 1 } } } },
      backend: [{ url_pattern: '/' }],
    }
    expect(problems({ endpoints: [endpoint] }).map((p) => p.path)).toEqual([
      'endpoints[0].extra_config.proxy.static.strategy',
    ])
    expect(plan(endpoint).static).toEqual({ data: { a: 1 }, strategy: 'always' })
  })

  test('long namespace names are read as their short names', () => {
    const compiled = plan(
      {
        extra_config: { 'github.com/devopsfaith/krakend/proxy': { sequential: true } },
        backend: [
          {
            url_pattern: '/a',
            extra_config: { 'github.com/devopsfaith/krakend/http': { return_error_details: 'a' } },
          },
          { url_pattern: '/b' },
        ],
      },
      { extra_config: { 'github_com/luraproject/lura/router/gin': { return_error_msg: true } } },
    )
    expect(compiled.sequential).toBe(true)
    expect(compiled.returnErrorMsg).toBe(true)
    expect(compiled.backends[0]!.returnErrorDetails).toBe('a')
  })

  test('return_error_details turns return_error_code off', () => {
    const http = { return_error_code: true, return_error_details: 'a' }
    const backend = { url_pattern: '/', extra_config: { 'backend/http': http } }
    expect(
      problems({ endpoints: [{ endpoint: '/v', backend: [backend] }] }).map((p) => p.path),
    ).toEqual(['endpoints[0].backend[0].extra_config["backend/http"].return_error_code'])
    expect(plan({ backend: [backend] }).backends[0]!.returnErrorCode).toBe(false)
  })

  test('an unsupported long namespace name is warned with its short name', () => {
    const found = problems({
      endpoints: [],
      extra_config: { 'github_com/devopsfaith/krakend-cors': { allow_origins: ['*'] } },
    })
    expect(found[0]!.message).toBe(
      'extra_config namespace "github_com/devopsfaith/krakend-cors" (security/cors) is not supported by Tailgate and is ignored',
    )
  })
})

describe('encodings and timeouts', () => {
  test('an unknown output encoding is warned and renders json', () => {
    const endpoint = { endpoint: '/v', output_encoding: 'toml', backend: [{ url_pattern: '/' }] }
    expect(problems({ endpoints: [endpoint] }).map((p) => p.path)).toEqual([
      'endpoints[0].output_encoding',
    ])
    expect(plan(endpoint).outputEncoding).toBe('json')
  })

  test('an unknown backend encoding is warned and decodes as json', () => {
    const endpoint = { endpoint: '/v', backend: [{ url_pattern: '/', encoding: 'yml' }] }
    expect(problems({ endpoints: [endpoint] })).toEqual([
      {
        severity: 'warning',
        path: 'endpoints[0].backend[0].encoding',
        message:
          'encoding "yml" is unknown; the body is decoded as json, as KrakenD does for an unknown name',
      },
    ])
    expect(plan(endpoint).backends[0]!.encoding).toBe('json')
  })

  test('the service output encoding is the default', () => {
    expect(
      plan({ backend: [{ url_pattern: '/' }] }, { output_encoding: 'negotiate' }).outputEncoding,
    ).toBe('negotiate')
  })

  test('the timeout defaults to 2s', () => {
    expect(DEFAULT_TIMEOUT_MS).toBe(2000)
    expect(plan({ backend: [{ url_pattern: '/' }] }).timeoutMs).toBe(2000)
  })

  test('an endpoint timeout overrides the service one', () => {
    const service = { timeout: '3s' }
    expect(plan({ backend: [{ url_pattern: '/' }] }, service).timeoutMs).toBe(3000)
    expect(plan({ timeout: '1m30s', backend: [{ url_pattern: '/' }] }, service).timeoutMs).toBe(
      90_000,
    )
    expect(plan({ timeout: '1500ms', backend: [{ url_pattern: '/' }] }, service).timeoutMs).toBe(
      1500,
    )
    expect(plan({ timeout: '150us', backend: [{ url_pattern: '/' }] }, service).timeoutMs).toBe(
      0.15,
    )
  })

  test('a backend timeout is warned and ignored', () => {
    const endpoint = {
      endpoint: '/v',
      timeout: '1s',
      backend: [{ url_pattern: '/', timeout: '5s' }],
    }
    expect(problems({ endpoints: [endpoint] }).map((p) => p.path)).toEqual([
      'endpoints[0].backend[0].timeout',
    ])
    expect(plan(endpoint).timeoutMs).toBe(1000)
  })

  test('an invalid duration is an error with its path', () => {
    const found = problems({
      endpoints: [{ endpoint: '/v', timeout: '2 seconds', backend: [{ url_pattern: '/' }] }],
    })
    expect(found).toEqual([
      {
        severity: 'error',
        path: 'endpoints[0].timeout',
        message: 'must be a duration such as "2s" or "300ms"; got "2 seconds"',
      },
    ])
  })
})
