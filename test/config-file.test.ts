import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfigFile } from '../src/config/load.ts'
import type { ConfigProblem } from '../src/config/problems.ts'
import { startGateway } from '../src/gateway.ts'
import { writeConfig } from './helpers/gateway.ts'

const ROOT = join(import.meta.dir, '..')

/** Loads a config file and returns its problems; fails the test when it loads. */
function problemsOf(file: string): ConfigProblem[] {
  try {
    loadConfigFile(file)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems
  }
  throw new Error(`expected ${file} to be rejected`)
}

/** Runs a script of src/ with bun, killed after 10 s, and returns its exit code and output. */
async function run(script: string, ...args: string[]) {
  const child = Bun.spawn([process.execPath, join(ROOT, 'src', script), ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 10_000,
  })
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  return { code, stdout, stderr }
}

// A valid config whose unknown key "x" contains `depth` nested arrays, so the file nests depth + 1.
function nestedConfig(depth: number): string {
  return `{"version": 3, "endpoints": [], "x": ${'['.repeat(depth)}${']'.repeat(depth)}}`
}

describe('config nesting', () => {
  test('deep objects are rejected', () => {
    const file = writeConfig(
      `{"version": 3, "x": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
    )

    expect(problemsOf(file)).toEqual([
      {
        severity: 'error',
        file,
        path: '',
        line: 1,
        column: 656,
        message: 'nesting too deep: objects and arrays may nest at most 128 levels',
      },
    ])
  })

  test('deep arrays are rejected', () => {
    const file = writeConfig(nestedConfig(100_000))

    expect(problemsOf(file).map((problem) => [problem.column, problem.message])).toEqual([
      [165, 'nesting too deep: objects and arrays may nest at most 128 levels'],
    ])
  })

  test('nesting at the limit loads', () => {
    const loaded = loadConfigFile(writeConfig(nestedConfig(127)))

    expect(loaded.warnings.map((warning) => warning.message)).toEqual([
      'unknown key "x" is ignored',
    ])
  })

  test('one level past the limit is rejected', () => {
    const file = writeConfig(nestedConfig(128))

    expect(problemsOf(file).map((problem) => problem.message)).toEqual([
      'nesting too deep: objects and arrays may nest at most 128 levels',
    ])
  })

  test('brackets inside strings do not count', () => {
    const comment = JSON.stringify(`"[{${'['.repeat(200)}`)
    const loaded = loadConfigFile(writeConfig(`{"version": 3, "@comment": ${comment}}`))

    expect(loaded.config['@comment']).toBe(`"[{${'['.repeat(200)}`)
  })

  test('gateway exits 1 on deep nesting', async () => {
    const file = writeConfig(nestedConfig(100_000))

    const { code, stderr } = await run('cli.ts', '--config', file, '--port', '0')

    expect(code).toBe(1)
    expect(stderr).toContain(
      `${file}:1:165: error: nesting too deep: objects and arrays may nest at most 128 levels`,
    )
    expect(stderr).not.toContain('RangeError')
  })

  test('check exits 1 on deep nesting', async () => {
    const file = writeConfig(nestedConfig(100_000))

    const { code, stdout, stderr } = await run('check.ts', file)

    expect(code).toBe(1)
    expect(stdout).toContain(
      `${file}:1:165: error: nesting too deep: objects and arrays may nest at most 128 levels`,
    )
    expect(stderr).toBe('')
  })
})

describe('config file kinds', () => {
  function freshDir(): string {
    return mkdtempSync(join(tmpdir(), 'tailgate-test-'))
  }

  test('FIFO is rejected without blocking', async () => {
    const fifo = join(freshDir(), 'krakend.json')
    expect(Bun.spawnSync(['mkfifo', fifo]).exitCode).toBe(0)

    const { code, stdout } = await run('check.ts', fifo)

    expect(code).toBe(1)
    expect(stdout).toContain(
      `${fifo}: error: cannot read the file: it is a FIFO, not a regular file`,
    )
  })

  test('symlink to /dev/null is rejected', () => {
    const link = join(freshDir(), 'krakend.json')
    symlinkSync('/dev/null', link)

    expect(problemsOf(link).map((problem) => problem.message)).toEqual([
      'cannot read the file: it is a character device, not a regular file',
    ])
  })

  test('symlink to /dev/zero is rejected', () => {
    const link = join(freshDir(), 'krakend.json')
    symlinkSync('/dev/zero', link)

    expect(problemsOf(link).map((problem) => problem.message)).toEqual([
      'cannot read the file: it is a character device, not a regular file',
    ])
  })

  test('directory is rejected', () => {
    const dir = freshDir()

    expect(problemsOf(dir).map((problem) => problem.message)).toEqual([
      'cannot read the file: it is a directory, not a regular file',
    ])
  })

  test('file above 16 MiB is rejected', () => {
    const file = join(freshDir(), 'krakend.json')
    writeFileSync(file, ' '.repeat(16 * 1024 * 1024 + 1))

    expect(problemsOf(file).map((problem) => problem.message)).toEqual([
      'cannot read the file: it is 16777217 bytes, above the limit of 16777216 bytes (16 MiB)',
    ])
  })

  test('symlink to a regular file loads', () => {
    const target = writeConfig({ version: 3, endpoints: [] })
    const link = join(freshDir(), 'krakend.json')
    symlinkSync(target, link)

    expect(loadConfigFile(link).config.version).toBe(3)
  })

  // Files in /proc report a size of 0 but have content, so the read must not trust the size.
  test.skipIf(!existsSync('/proc/self/status'))('file larger than its stat size is read', () => {
    const [problem] = problemsOf('/proc/self/status')

    expect(problem!.message).toStartWith('invalid JSON: ')
  })
})

describe('duplicate keys', () => {
  const ENDPOINT =
    '{"endpoint": "/a", "backend": [{"host": ["http://127.0.0.1:9"], "url_pattern": "/a"}]}'

  test('repeated endpoints list is an error', () => {
    const file = writeConfig(
      `{\n  "version": 3,\n  "endpoints": [${ENDPOINT}],\n  "endpoints": []\n}`,
    )

    expect(problemsOf(file)).toEqual([
      {
        severity: 'error',
        file,
        path: 'endpoints',
        line: 4,
        column: 3,
        message:
          'duplicate key "endpoints"; it is first set at line 3, column 3, and a JSON parser keeps only the last value, so remove one of the two',
      },
    ])
  })

  test('repeated key inside an endpoint is an error', () => {
    const endpoint = ENDPOINT.replace('"/a",', '"/a", "method": "GET", "method": "POST",')
    const file = writeConfig(`{"version": 3, "endpoints": [${endpoint}]}`)

    expect(problemsOf(file).map((problem) => [problem.path, problem.column])).toEqual([
      ['endpoints[0].method', 66],
    ])
  })

  test('same key in two objects is valid', () => {
    const file = writeConfig(
      `{"version": 3, "endpoints": [${ENDPOINT}, ${ENDPOINT.replace('"/a"', '"/b"')}]}`,
    )

    expect(loadConfigFile(file).config.endpoints!.map((endpoint) => endpoint.endpoint)).toEqual([
      '/a',
      '/b',
    ])
  })

  test('check exits 1 on a duplicate key', async () => {
    const file = writeConfig(`{"version": 3, "endpoints": [${ENDPOINT}], "endpoints": []}`)

    const { code, stdout } = await run('check.ts', file)

    expect(code).toBe(1)
    expect(stdout).toContain(`${file}:1:${33 + ENDPOINT.length}: error: endpoints: duplicate key`)
  })

  test('gateway does not start on a duplicate key', async () => {
    const file = writeConfig(`{"version": 3, "endpoints": [${ENDPOINT}], "endpoints": []}`)

    const started = startGateway({ configFile: file, port: 0, hostname: '127.0.0.1', workers: 0 })

    await expect(started).rejects.toThrow('endpoints: duplicate key "endpoints"')
  })
})
