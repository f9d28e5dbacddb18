import { afterEach, describe, expect, test } from 'bun:test'
import type { Subprocess } from 'bun'
import { startGateway, type Gateway } from '../src/gateway.ts'
import { configureLog, logSettings } from '../src/log.ts'
import { LogRateLimiter } from '../src/log-rate-limit.ts'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { writeConfig } from './helpers/gateway.ts'

const CLI = new URL('../src/cli.ts', import.meta.url).pathname
const BUN = process.execPath

let gateway: Gateway | undefined
let backend: ScriptedBackend | undefined
let child: Subprocess | undefined
const initialLog = logSettings()

afterEach(async () => {
  await gateway?.stop()
  child?.kill()
  await child?.exited
  await backend?.stop()
  configureLog(initialLog)
  gateway = backend = child = undefined
})

/** Starts a backend that fails with 500 and writes a config with /fail on it. */
function failingSetup() {
  backend = startScriptedBackend(() => ({ status: 500, body: { error: 'down' } }))
  const file = writeConfig({
    version: 3,
    endpoints: [{ endpoint: '/fail', backend: [{ host: [backend.url], url_pattern: '/x' }] }],
  })
  return { backend, file }
}

function captureLog(level: string) {
  const lines: Record<string, unknown>[] = []
  configureLog({ level, destination: { write: (line) => lines.push(JSON.parse(line)) } })
  return lines
}

describe('gateway log', () => {
  test('5xx line names endpoint, backend and cause', async () => {
    const lines = captureLog('info')
    const { backend, file } = failingSetup()
    gateway = await startGateway({ configFile: file, port: 0, workers: 0 })

    expect((await fetch(`${gateway.url}/fail`)).status).toBe(502)
    const errors = lines.filter((line) => line.msg === 'gateway returned a server error')
    expect(errors).toHaveLength(1)
    const line = errors[0]!
    expect(line.level).toBe(50)
    expect(line.endpoint).toBe('GET /fail')
    expect(line.status).toBe(502)
    expect(line.backend).toBe(0)
    expect(line.host).toBe(backend.url)
    expect(line.cause).toBe('backend returned status 500')
    expect(line.failures).toEqual([
      {
        backend: 0,
        attempt: 0,
        kind: 'status',
        host: backend.url,
        status: 500,
        message: 'backend returned status 500',
      },
    ])
    expect(lines.filter((l) => l.msg === 'backend attempt failed')).toHaveLength(0)
  })

  test('relayed no-op 5xx is logged', async () => {
    const lines = captureLog('info')
    backend = startScriptedBackend(() => ({ status: 503 }))
    const configFile = writeConfig({
      version: 3,
      endpoints: [
        {
          endpoint: '/raw',
          output_encoding: 'no-op',
          backend: [{ host: [backend.url], url_pattern: '/x' }],
        },
      ],
    })
    gateway = await startGateway({ configFile, port: 0, workers: 0 })

    expect((await fetch(`${gateway.url}/raw`)).status).toBe(503)
    const line = lines.find((l) => l.msg === 'gateway returned a server error')
    expect(line?.endpoint).toBe('GET /raw')
    expect(line?.status).toBe(503)
    expect(line?.backend).toBe(0)
    expect(line?.cause).toBe('backend returned status 503, relayed unchanged by no-op encoding')
  })

  test('debug level logs failed attempts with a limit', async () => {
    const lines = captureLog('debug')
    const { file } = failingSetup()
    gateway = await startGateway({ configFile: file, port: 0, workers: 0 })

    for (let i = 0; i < 12; i++) await fetch(`${gateway.url}/fail`)
    const attempts = lines.filter((line) => line.msg === 'backend attempt failed')
    expect(attempts).toHaveLength(10)
    expect(attempts[0]!.level).toBe(20)
    expect(attempts[0]!.endpoint).toBe('GET /fail')
    expect(attempts[0]!.kind).toBe('status')
    expect(attempts[0]!.status).toBe(500)
  })

  test('startup and shutdown lines', async () => {
    const lines = captureLog('info')
    const { file } = failingSetup()
    gateway = await startGateway({ configFile: file, port: 0, workers: 0 })
    const port = gateway.port
    await gateway.stop()
    gateway = undefined

    const started = lines.find((line) => line.port === port && line.endpoints === 1)
    expect(started?.tracing).toBe(false)
    expect(lines.at(-1)?.msg).toBe('gateway stopped')
  })
})

describe('log rate limiter', () => {
  test('drops lines over the limit and counts them', () => {
    const limiter = new LogRateLimiter(2, 1000)
    expect(limiter.take('a', 0)).toBe(0)
    expect(limiter.take('a', 10)).toBe(0)
    expect(limiter.take('a', 20)).toBe(-1)
    expect(limiter.take('a', 30)).toBe(-1)
    expect(limiter.take('b', 30)).toBe(0)
    expect(limiter.take('a', 1000)).toBe(2)
    expect(limiter.take('a', 1001)).toBe(0)
  })
})

/** Reads a child's standard output line by line. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  const seen: string[] = []
  return {
    seen,
    /** Resolves with the first line, old or new, that satisfies `match`; fails after 10 s. */
    async find(match: (line: string) => boolean): Promise<string> {
      const deadline = performance.now() + 10_000
      for (;;) {
        const found = seen.find(match)
        if (found !== undefined) return found
        if (performance.now() > deadline)
          throw new Error(`no matching line in:\n${seen.join('\n')}`)
        const { value, done } = await reader.read()
        if (done) throw new Error(`output ended without a matching line:\n${seen.join('\n')}`)
        buffer += decoder.decode(value, { stream: true })
        const lines = buffer.split('\n')
        buffer = lines.pop()!
        seen.push(...lines)
      }
    },
  }
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = probe.port!
  await probe.stop(true)
  return port
}

async function waitUntilServing(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(`http://127.0.0.1:${port}/__stats`).catch(() => null)
    if (response?.status === 200) return
    await Bun.sleep(25)
  }
  throw new Error(`the gateway did not serve on port ${port} within 5 s`)
}

function spawnCli(args: string[], env: Record<string, string> = {}) {
  const { LOG_LEVEL, LOG_FORMAT, ...inherited } = process.env
  const spawned = Bun.spawn([BUN, CLI, ...args], {
    env: { ...inherited, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  child = spawned
  return spawned
}

describe('CLI log options', () => {
  test('worker lines carry the worker id', async () => {
    const { file } = failingSetup()
    const args = ['-c', file, '-p', '0', '--host', '127.0.0.1', '-w', '1', '--log-level', 'debug']
    const spawned = spawnCli(args)
    const output = lineReader(spawned.stdout)
    const listening = JSON.parse(await output.find((line) => line.includes('gateway listening')))

    expect((await fetch(`http://127.0.0.1:${listening.port}/fail`)).status).toBe(502)
    const error = JSON.parse(await output.find((line) => line.includes('server error')))
    expect(error.level).toBe(50)
    expect(error.endpoint).toBe('GET /fail')
    expect(error.worker).toBeGreaterThan(0)
    const attempt = JSON.parse(await output.find((line) => line.includes('attempt failed')))
    expect(attempt.level).toBe(20)
    expect(attempt.worker).toBe(error.worker)

    spawned.kill('SIGTERM')
    expect(await spawned.exited).toBe(0)
    const stopped = JSON.parse(await output.find((line) => line.includes('gateway stopped')))
    expect(stopped.level).toBe(30)
  })

  test('--log-level warn hides info lines', async () => {
    const { file } = failingSetup()
    const port = await freePort()
    const spawned = spawnCli(['-c', file, '-p', String(port), '-w', '0', '--log-level', 'warn'])
    await waitUntilServing(port)
    expect((await fetch(`http://127.0.0.1:${port}/fail`)).status).toBe(502)
    spawned.kill('SIGTERM')
    expect(await spawned.exited).toBe(0)

    const lines = (await new Response(spawned.stdout).text()).trim().split('\n')
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['gateway returned a server error'])
  })

  test('pretty format is readable text', async () => {
    const { file } = failingSetup()
    const spawned = spawnCli(['-c', file, '-p', '0', '-w', '1', '--log-format', 'pretty'])
    const output = lineReader(spawned.stdout)
    const line = await output.find((text) => text.includes('gateway listening'))
    expect(line).toMatch(/^\[[\d:.]+\] INFO \(\d+\): gateway listening on port \d+/)
  })

  test('invalid log level is rejected', async () => {
    const spawned = spawnCli(['--log-level', 'loud'])
    expect(await spawned.exited).toBe(2)
    expect(await new Response(spawned.stderr).text()).toContain(
      "--log-level must be one of fatal, error, warn, info, debug, trace, silent; got 'loud'",
    )
  })

  test('invalid OTLP protocol is rejected', async () => {
    const { file } = failingSetup()
    const spawned = spawnCli(['-c', file, '-p', '0'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    })
    expect(await spawned.exited).toBe(1)
    const stderr = await new Response(spawned.stderr).text()
    expect(stderr).toContain('error [TG_TELEMETRY_INVALID]: ')
    expect(stderr).toContain(
      'OTLP over grpc is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf or http/json',
    )
  })
})
