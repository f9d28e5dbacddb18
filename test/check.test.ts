import { describe, expect, test } from 'bun:test'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { checkConfig, formatReport } from '../src/check.ts'
import { renderConfigJsonSchema } from '../src/config/json-schema.ts'
import { serviceConfig, writeConfig } from './helpers/gateway.ts'

const ROOT = join(import.meta.dir, '..')
const FIXTURES = join(import.meta.dir, 'fixtures/krakend-configs')

/** Runs `bun src/check.ts` with the arguments; returns its exit code and output. */
async function runCheck(...args: string[]) {
  const child = Bun.spawn([process.execPath, join(ROOT, 'src/check.ts'), ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  return { code, stdout, stderr }
}

function lintMessages(config: unknown, minTimeoutMs?: number): string[] {
  const report = checkConfig({ file: writeConfig(config), lint: true, minTimeoutMs })
  return report.problems.map((problem) => `${problem.path}: ${problem.message}`)
}

const BACKEND = { host: ['http://127.0.0.1:9'], url_pattern: '/x' }

describe('check exit codes and messages', () => {
  test('valid config exits 0 with Syntax OK', async () => {
    const file = writeConfig(serviceConfig([{ endpoint: '/a', backend: [BACKEND] }]))

    const { code, stdout } = await runCheck('--config', file)

    expect(code).toBe(0)
    expect(stdout).toBe(
      `Parsing configuration file: ${file}\nSyntax OK! 1 endpoint; 0 errors, 0 warnings\n`,
    )
  })

  test('invalid JSON exits 1 with its position', async () => {
    const file = writeConfig('{\n  "version": 3\n  "endpoints": []\n}')

    const { code, stdout } = await runCheck(file)

    expect(code).toBe(1)
    expect(stdout).toContain(`${file}:3:3: error: invalid JSON: comma expected`)
    expect(stdout).toContain('ERROR parsing the configuration file: 1 error, 0 warnings')
  })

  test('wrong type exits 1 naming the JSON path', async () => {
    const file = writeConfig(
      serviceConfig([{ endpoint: '/a', concurrent_calls: 'three', backend: [BACKEND] }]),
    )

    const { code, stdout } = await runCheck(file)

    expect(code).toBe(1)
    expect(stdout).toContain('error: endpoints[0].concurrent_calls: expected integer; got "three"')
  })

  test('semantic error exits 1 naming the JSON path', async () => {
    const file = writeConfig(
      serviceConfig([
        { endpoint: '/users/{id}', backend: [{ ...BACKEND, url_pattern: '/u/{uid}' }] },
      ]),
    )

    const { code, stdout } = await runCheck(file)

    expect(code).toBe(1)
    expect(stdout).toContain(
      'error: endpoints[0].backend[0].url_pattern: placeholder {uid} is not a parameter of endpoint GET /users/{id}; defined parameters: {id}',
    )
  })

  test('stats slots above the limit exit 1', async () => {
    const endpoints = Array.from({ length: 1100 }, (_, i) => ({
      endpoint: `/e${i}`,
      backend: [BACKEND],
    }))
    const file = writeConfig(serviceConfig(endpoints))

    const { code, stdout } = await runCheck(file)

    expect(code).toBe(1)
    expect(stdout).toContain(
      'error: endpoints: the config needs 2200 stats slots (1100 endpoints plus 1100 backends), above the limit of 2048; split the endpoints over several gateways',
    )
  })

  test('stats slots at the limit are valid', () => {
    const endpoints = Array.from({ length: 1024 }, (_, i) => ({
      endpoint: `/e${i}`,
      backend: [BACKEND],
    }))
    const report = checkConfig({ file: writeConfig(serviceConfig(endpoints)), lint: false })

    expect(report.valid).toBe(true)
    expect(report.endpoints).toBe(1024)
  })

  test('every error of a file is listed', () => {
    const file = writeConfig({
      version: 2,
      endpoints: [
        { endpoint: '/__health', backend: [BACKEND] },
        { endpoint: '/b', backend: [] },
      ],
    })

    const report = checkConfig({ file, lint: false })

    expect(report.valid).toBe(false)
    expect(report.problems.map((problem) => problem.path)).toEqual([
      'version',
      'endpoints[0].endpoint',
      'endpoints[1].backend',
    ])
  })

  test('missing file exits 1', async () => {
    const { code, stdout } = await runCheck('--config', '/nonexistent/krakend.json')

    expect(code).toBe(1)
    expect(stdout).toContain('/nonexistent/krakend.json: error: cannot read the file (ENOENT)')
  })

  test('unknown key is a warning and exits 0', async () => {
    const file = writeConfig(
      serviceConfig([
        { endpoint: '/a', backend: [BACKEND], extra_config: { 'qos/ratelimit': {} } },
      ]),
    )

    const { code, stdout } = await runCheck(file)

    expect(code).toBe(0)
    expect(stdout).toContain(
      'warning: endpoints[0].extra_config["qos/ratelimit"]: extra_config namespace "qos/ratelimit" is not supported by Tailgate and is ignored',
    )
    expect(stdout).toContain('Syntax OK! 1 endpoint; 0 errors, 1 warning')
  })

  test('usage errors exit 2', async () => {
    const unknownFlag = await runCheck('--strict')
    const badDuration = await runCheck('--lint', '--min-timeout', 'soon')
    const twoFiles = await runCheck('a.json', 'b.json')

    expect(unknownFlag.code).toBe(2)
    expect(unknownFlag.stderr).toContain("Unknown option '--strict'")
    expect(badDuration.code).toBe(2)
    expect(badDuration.stderr).toContain(
      "--min-timeout must be a duration such as 250ms or 1s; got 'soon'",
    )
    expect(twoFiles.code).toBe(2)
    expect(twoFiles.stderr).toContain('give one config file')
  })

  test('real KrakenD configs pass and print their warnings', async () => {
    const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.json'))
    const expectedWarnings: Record<string, number> = {
      'examples__4.encodings__krakend.json': 4,
      'examples__5.data-aggregation__krakend.json': 1,
      'examples__return_error_details__krakend.json': 2,
      'krakend-ce__tests-fixtures__krakend.json': 35,
      'lura__docs-CONFIG-md__example.json': 3,
      'playground-community__krakend.json': 16,
    }

    expect(files.sort()).toEqual(Object.keys(expectedWarnings).sort())
    for (const name of files) {
      const { code, stdout } = await runCheck('--lint', join(FIXTURES, name))
      const warnings = stdout.split('\n').filter((line) => line.includes(': warning: '))

      expect(code).toBe(0)
      expect(warnings).toHaveLength(expectedWarnings[name]!)
      expect(stdout).toContain('Syntax OK!')
    }
  })
})

describe('check --lint', () => {
  test('no lint warnings without --lint', () => {
    const file = writeConfig({ version: 3, endpoints: [{ endpoint: '/a', backend: [BACKEND] }] })

    expect(checkConfig({ file, lint: false }).problems).toEqual([])
  })

  test('hedged POST through the idempotent opt-in', () => {
    const messages = lintMessages(
      serviceConfig([
        {
          endpoint: '/orders',
          method: 'POST',
          concurrent_calls: 2,
          backend: [BACKEND],
          extra_config: { 'tailgate/hedging': { idempotent: true } },
        },
      ]),
    )

    expect(messages).toEqual([
      'endpoints[0].concurrent_calls: concurrent_calls 2 sends each POST to backend 0 2 times; tailgate/hedging.idempotent allows it; make sure the backend applies a repeated request once, for example with an idempotency key [hedge-non-idempotent]',
    ])
  })

  test('hedged PATCH backend under GET is an error', () => {
    const messages = lintMessages(
      serviceConfig([
        {
          endpoint: '/touch',
          concurrent_calls: 3,
          backend: [BACKEND, { ...BACKEND, method: 'PATCH' }],
        },
      ]),
    )

    expect(messages).toEqual([
      'endpoints[0].concurrent_calls: concurrent_calls 3 on GET /touch would send each PATCH 3 times; set extra_config["tailgate/hedging"].idempotent to true only if the backends are idempotent',
    ])
  })

  test('timeouts below the minimum', () => {
    const config = serviceConfig(
      [
        { endpoint: '/a', backend: [BACKEND] },
        { endpoint: '/b', timeout: '50ms', backend: [BACKEND] },
      ],
      { timeout: '80ms' },
    )

    expect(lintMessages(config)).toEqual([
      'timeout: timeout of the service is 80 ms, below 100 ms: backends that answer in usual network time would time out [timeout-below-latency]',
      'endpoints[1].timeout: timeout of endpoint GET /b is 50 ms, below 100 ms: backends that answer in usual network time would time out [timeout-below-latency]',
    ])
    expect(lintMessages(config, 50)).toEqual([])
  })

  test('endpoint without any timeout', () => {
    const withoutTimeout = { version: 3, endpoints: [{ endpoint: '/a', backend: [BACKEND] }] }

    expect(lintMessages(withoutTimeout)).toEqual([
      'endpoints[0]: endpoint GET /a and the service set no timeout, so its backend runs on the built-in 2000 ms; set a timeout that fits these backends [no-timeout-budget]',
    ])
    expect(lintMessages({ ...withoutTimeout, timeout: '1s' })).toEqual([])
  })

  test('report lists warnings in file order', () => {
    const file = writeConfig({
      version: 3,
      endpoints: [
        { endpoint: '/a', backend: [BACKEND], cache_ttl: 5 },
        { endpoint: '/b', backend: [BACKEND] },
      ],
    })

    const report = checkConfig({ file, lint: true })

    expect(
      formatReport(file, report)
        .split('\n')
        .slice(1, 4)
        .map((line) => line.split(': ')[2]),
    ).toEqual(['endpoints[0]', 'endpoints[0].cache_ttl', 'endpoints[1]'])
  })
})

describe('published JSON Schema', () => {
  test('config/schema.json is up to date with the TypeBox schema', () => {
    const committed = readFileSync(join(ROOT, 'config/schema.json'), 'utf8')

    // Run `bun run schema` when this fails.
    expect(committed).toBe(renderConfigJsonSchema())
  })

  test('default config points at the schema', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'config/krakend.json'), 'utf8'))

    expect(config.$schema).toBe('./schema.json')
  })
})

describe('check --lint on an invalid config', () => {
  test('says lint was skipped', async () => {
    const file = writeConfig({ version: 3, endpoints: [{ endpoint: '/a', backend: [] }] })

    const { code, stdout } = await runCheck('--config', file, '--lint')

    expect(code).toBe(1)
    expect(stdout).toContain('Lint skipped: fix the errors above, then run --lint again.')
  })
})
