import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ConfigError, loadConfigFile, parseConfigText } from '../src/config/load.ts'
import { serviceConfig, startTestGateway, writeConfig } from './helpers/gateway.ts'
import { startScriptedBackend } from './helpers/scripted-backend.ts'

const HOST = ['http://127.0.0.1:9']

function endpoint(overrides: Record<string, unknown> = {}) {
  return { endpoint: '/a', backend: [{ host: HOST, url_pattern: '/a' }], ...overrides }
}

function errorsOf(config: unknown): { path: string; message: string; line?: number }[] {
  try {
    parseConfigText(JSON.stringify(config, null, 2), 'krakend.json')
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems.filter((problem) => problem.severity === 'error')
  }
  return []
}

describe('config errors', () => {
  const cases: [string, unknown, string, string][] = [
    ['version not 3', { version: 2, endpoints: [] }, 'version', 'unsupported version 2'],
    ['missing version', { endpoints: [] }, 'version', 'required key is missing'],
    [
      'port of the wrong type',
      { version: 3, port: '80', endpoints: [] },
      'port',
      'expected integer; got "80"',
    ],
    [
      'invalid duration',
      { version: 3, timeout: '3 s', endpoints: [] },
      'timeout',
      'must be a duration such as "2s"',
    ],
    [
      'endpoint without backends',
      { version: 3, endpoints: [{ endpoint: '/a', backend: [] }] },
      'endpoints[0].backend',
      'endpoint GET /a has no backends',
    ],
    [
      'undefined url_pattern parameter',
      {
        version: 3,
        endpoints: [
          endpoint({ endpoint: '/u/{id}', backend: [{ host: HOST, url_pattern: '/u/{uid}' }] }),
        ],
      },
      'endpoints[0].backend[0].url_pattern',
      'placeholder {uid} is not a parameter of endpoint GET /u/{id}',
    ],
    [
      'duplicate endpoint and method',
      { version: 3, endpoints: [endpoint(), endpoint()] },
      'endpoints[1]',
      'duplicate endpoint GET /a; it is already defined at endpoints[0]',
    ],
    [
      'no-op output with two backends',
      {
        version: 3,
        endpoints: [
          endpoint({
            output_encoding: 'no-op',
            backend: [
              { host: HOST, url_pattern: '/a' },
              { host: HOST, url_pattern: '/b' },
            ],
          }),
        ],
      },
      'endpoints[0].output_encoding',
      'uses no-op output with 2 backends',
    ],
    [
      'POST hedged without opt-in',
      { version: 3, endpoints: [endpoint({ method: 'POST', concurrent_calls: 3 })] },
      'endpoints[0].concurrent_calls',
      'concurrent_calls 3 on POST /a would send each POST 3 times',
    ],
    [
      'PATCH hedged without opt-in',
      { version: 3, endpoints: [endpoint({ method: 'PATCH', concurrent_calls: 2 })] },
      'endpoints[0].concurrent_calls',
      'on PATCH /a',
    ],
    [
      'POST backend hedged under GET',
      {
        version: 3,
        endpoints: [
          endpoint({
            concurrent_calls: 2,
            backend: [{ host: HOST, url_pattern: '/a', method: 'post' }],
          }),
        ],
      },
      'endpoints[0].concurrent_calls',
      'would send each POST 2 times',
    ],
    [
      'encoding that is not a string',
      {
        version: 3,
        endpoints: [endpoint({ backend: [{ host: HOST, url_pattern: '/a', encoding: 7 }] })],
      },
      'endpoints[0].backend[0].encoding',
      'expected string; got 7',
    ],
    [
      'host with a path',
      {
        version: 3,
        endpoints: [endpoint({ backend: [{ host: ['http://a/api'], url_pattern: '/a' }] })],
      },
      'endpoints[0].backend[0].host[0]',
      "host 'http://a/api' is invalid",
    ],
    [
      'backend without any host',
      { version: 3, endpoints: [endpoint({ backend: [{ url_pattern: '/a' }] })] },
      'endpoints[0].backend[0].host',
      'backend has no host',
    ],
    [
      'repeated parameter name',
      { version: 3, endpoints: [endpoint({ endpoint: '/m/{x}/b/{x}' })] },
      'endpoints[0].endpoint',
      'parameter {x} appears twice in /m/{x}/b/{x}',
    ],
    [
      'reserved path',
      { version: 3, endpoints: [endpoint({ endpoint: '/__stats' })] },
      'endpoints[0].endpoint',
      'endpoint path /__stats is reserved',
    ],
    [
      'conflicting parameter names',
      {
        version: 3,
        endpoints: [endpoint({ endpoint: '/u/{id}' }), endpoint({ endpoint: '/u/{uid}/posts' })],
      },
      'endpoints[1].endpoint',
      'parameter {uid} of GET /u/{uid}/posts conflicts with {id} of GET /u/{id}',
    ],
  ]

  for (const [name, config, path, message] of cases) {
    test(name, () => {
      const errors = errorsOf(config)
      const match = errors.find((error) => error.path === path)
      expect(match?.path).toBe(path)
      expect(match?.message).toContain(message)
    })
  }

  test('parameter names conflict across methods', () => {
    const errors = errorsOf({
      version: 3,
      endpoints: [
        endpoint({ endpoint: '/m/{x}' }),
        endpoint({ endpoint: '/m/{y}', method: 'POST' }),
      ],
    })

    expect(errors.map((error) => error.path)).toEqual(['endpoints[1].endpoint'])
    expect(errors[0]!.message).toBe(
      'parameter {y} of POST /m/{y} conflicts with {x} of GET /m/{x} at endpoints[0].endpoint; the router shares parameter names across methods, so use the same name at the same place',
    )
  })

  test('same parameter name on two methods is valid', () => {
    const errors = errorsOf({
      version: 3,
      endpoints: [
        endpoint({ endpoint: '/m/{x}' }),
        endpoint({ endpoint: '/m/{x}/sub', method: 'POST' }),
      ],
    })

    expect(errors).toEqual([])
  })

  test('every error is reported in one pass', () => {
    const errors = errorsOf({
      version: 2,
      port: 'x',
      endpoints: [
        endpoint({ method: 'POST', concurrent_calls: 3 }),
        { endpoint: '/b', backend: [] },
      ],
    })
    expect(errors.map((error) => error.path)).toEqual([
      'version',
      'port',
      'endpoints[0].concurrent_calls',
      'endpoints[1].backend',
    ])
  })

  test('missing key points at its object', () => {
    const errors = errorsOf({
      version: 3,
      endpoints: [endpoint({ backend: [{ url_pattern: '/a' }] })],
    })
    const missingHost = errors.find((error) => error.path === 'endpoints[0].backend[0].host')
    expect(missingHost?.line).toBe(7)
  })

  test('errors carry line and column', () => {
    const errors = errorsOf({ version: 3, timeout: 'soon', endpoints: [] })
    expect(errors[0]!.line).toBe(3)
  })

  test('syntax error names its position', () => {
    const file = writeConfig('{\n  "version": 3,\n  "endpoints": [\n}')
    try {
      loadConfigFile(file)
      throw new Error('expected a ConfigError')
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const [first] = (error as ConfigError).problems
      expect(first!.file).toBe(file)
      expect(first!.line).toBe(4)
      expect(first!.message).toStartWith('invalid JSON: ')
    }
  })

  test('missing file is a read error', () => {
    expect(() => loadConfigFile('/nonexistent/krakend.json')).toThrow(
      'cannot read the file (ENOENT)',
    )
  })
})

describe('endpoint path rules', () => {
  const cases: [string, string][] = [
    [
      '/a?x=1',
      "endpoint path /a?x=1 contains '?': a query string is never part of the path a request is matched on; list the query parameters to forward in input_query_strings",
    ],
    ['/f#x', "endpoint path /f#x contains '#': a fragment is never sent to the server"],
    [
      '/e/:id',
      "endpoint path /e/:id contains ':': the router would read it as a parameter; write a parameter as a whole segment such as {id}",
    ],
    [
      '/d/*',
      "endpoint path /d/* contains '*': the router would read it as a wildcard that matches any depth; Tailgate has no wildcard routes",
    ],
  ]

  for (const [path, message] of cases) {
    test(`rejects ${path}`, () => {
      const errors = errorsOf({ version: 3, endpoints: [endpoint({ endpoint: path })] })

      expect(errors.map((error) => error.path)).toEqual(['endpoints[0].endpoint'])
      expect(errors[0]!.message).toBe(message)
    })
  }

  test('trailing slash makes a duplicate', () => {
    const errors = errorsOf({
      version: 3,
      endpoints: [endpoint({ endpoint: '/g/' }), endpoint({ endpoint: '/g' })],
    })

    expect(errors.map((error) => error.path)).toEqual(['endpoints[1]'])
    expect(errors[0]!.message).toBe(
      'duplicate endpoint GET /g; GET /g/ at endpoints[0] matches the same requests, because the router ignores a trailing slash',
    )
  })

  test('trailing slash on another method is valid', () => {
    const errors = errorsOf({
      version: 3,
      endpoints: [endpoint({ endpoint: '/g/' }), endpoint({ endpoint: '/g', method: 'POST' })],
    })

    expect(errors).toEqual([])
  })

  test('endpoint with a trailing slash serves both forms', async () => {
    const backend = startScriptedBackend(() => ({ body: { ok: true } }))
    const gateway = await startTestGateway(
      serviceConfig([{ endpoint: '/g/', backend: [{ host: [backend.url], url_pattern: '/x' }] }]),
    )
    try {
      const withSlash = await fetch(`${gateway.url}/g/`)
      const withoutSlash = await fetch(`${gateway.url}/g`)

      expect(withSlash.status).toBe(200)
      expect(withoutSlash.status).toBe(200)
    } finally {
      await gateway.stop()
      await backend.stop()
    }
  })
})

describe('config warnings', () => {
  test('unknown keys and namespaces are warnings', () => {
    const loaded = parseConfigText(
      JSON.stringify({
        version: 3,
        extra_config: { 'security/cors': { allow_origins: ['*'] } },
        endpoints: [endpoint({ headers_to_pass: ['x'] })],
      }),
      'krakend.json',
    )
    expect(loaded.warnings.map((warning) => [warning.path, warning.message])).toEqual([
      [
        'extra_config["security/cors"]',
        'extra_config namespace "security/cors" is not supported by Tailgate and is ignored',
      ],
      ['endpoints[0].headers_to_pass', 'unknown key "headers_to_pass" is ignored'],
    ])
  })

  test('keys named like Object.prototype members', () => {
    // Written as text: a `__proto__` key in an object literal would set its prototype.
    const text = `{
      "version": 3, "constructor": 1, "toString": 2, "hasOwnProperty": 3,
      "extra_config": {"constructor": {}, "__proto__": {}}, "endpoints": []
    }`
    const loaded = parseConfigText(text, 'krakend.json')

    expect(loaded.warnings.map((warning) => [warning.path, warning.message])).toEqual([
      ['constructor', 'unknown key "constructor" is ignored'],
      ['toString', 'unknown key "toString" is ignored'],
      ['hasOwnProperty', 'unknown key "hasOwnProperty" is ignored'],
      [
        'extra_config.constructor',
        'extra_config namespace "constructor" is not supported by Tailgate and is ignored',
      ],
      [
        'extra_config.__proto__',
        'extra_config namespace "__proto__" is not supported by Tailgate and is ignored',
      ],
    ])
  })

  test('idempotent opt-in allows hedged POST', () => {
    const loaded = parseConfigText(
      JSON.stringify({
        version: 3,
        endpoints: [
          endpoint({
            method: 'POST',
            concurrent_calls: 3,
            extra_config: { 'tailgate/hedging': { idempotent: true } },
          }),
        ],
      }),
      'krakend.json',
    )
    expect(loaded.config.endpoints![0]!.concurrent_calls).toBe(3)
  })

  test('bare number duration warns about nanoseconds', () => {
    const loaded = parseConfigText(
      JSON.stringify({ version: 3, endpoints: [endpoint({ cache_ttl: 3600 })] }),
      'k.json',
    )
    expect(loaded.warnings[0]!.path).toBe('endpoints[0].cache_ttl')
    expect(loaded.warnings[0]!.message).toContain('read as nanoseconds')
  })
})

describe('gateway CLI with a bad config', () => {
  test('exits 1 naming file and path without a stack trace', async () => {
    const file = writeConfig({ version: 3, endpoints: [{ endpoint: '/a', backend: [] }] })
    const child = Bun.spawn(
      [process.execPath, join(import.meta.dir, '../src/cli.ts'), '--config', file, '--port', '0'],
      {
        stdout: 'pipe',
        stderr: 'pipe',
      },
    )
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])

    expect(code).toBe(1)
    expect(stderr).toContain(`${file}:`)
    expect(stderr).toContain('error: endpoints[0].backend: endpoint GET /a has no backends')
    expect(stderr).toContain('1 error(s) [TG_CONFIG_INVALID]; the gateway did not start')
    expect(stderr).not.toContain('    at ')
  })

  test('parameter conflict across methods exits 1', async () => {
    const file = writeConfig({
      version: 3,
      endpoints: [
        endpoint({ endpoint: '/m/{x}' }),
        endpoint({ endpoint: '/m/{y}', method: 'POST' }),
      ],
    })
    const child = Bun.spawn(
      [process.execPath, join(import.meta.dir, '../src/cli.ts'), '--config', file, '--port', '0'],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])

    expect(code).toBe(1)
    expect(stderr).toContain('error: endpoints[1].endpoint: parameter {y} of POST /m/{y}')
    expect(stderr).toContain('1 error(s) [TG_CONFIG_INVALID]; the gateway did not start')
    expect(stderr).not.toContain('    at ')
  })

  test('too many stats slots exits 1', async () => {
    const endpoints = Array.from({ length: 1100 }, (_, i) => endpoint({ endpoint: `/e${i}` }))
    const file = writeConfig({ version: 3, endpoints })
    const child = Bun.spawn(
      [process.execPath, join(import.meta.dir, '../src/cli.ts'), '--config', file, '--port', '0'],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])

    expect(code).toBe(1)
    expect(stderr).toContain(
      'error: endpoints: the config needs 2200 stats slots (1100 endpoints plus 1100 backends), above the limit of 2048',
    )
    expect(stderr).toContain('1 error(s) [TG_CONFIG_INVALID]; the gateway did not start')
    expect(stderr).not.toContain('    at ')
  })

  test('rejects an invalid flag value', async () => {
    const child = Bun.spawn(
      [process.execPath, join(import.meta.dir, '../src/cli.ts'), '--workers', 'many'],
      {
        stderr: 'pipe',
      },
    )
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
    expect(code).toBe(2)
    expect(stderr).toContain("--workers must be a whole number ≥ 0; got 'many'")
  })
})
