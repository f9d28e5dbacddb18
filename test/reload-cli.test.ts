import { afterEach, expect, test } from 'bun:test'
import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { startScriptedBackend, waitFor, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { serviceConfig, writeConfig } from './helpers/gateway.ts'
import { readHealth, saveInPlace, waitForConfigHash } from './helpers/reload.ts'

// The gateway CLI as a subprocess: SIGHUP and the log lines an operator reads.

const CLI = join(import.meta.dir, '../src/cli.ts')
let child: Subprocess | undefined
let backend: ScriptedBackend | undefined

afterEach(async () => {
  child?.kill('SIGTERM')
  await child?.exited
  await backend?.stop()
  child = undefined
  backend = undefined
})

interface LogLine {
  level: number
  msg: string
  port?: number
  path?: string
}

/** Starts the CLI and collects its JSON log lines as they arrive. */
async function startCli(configFile: string, flags: string[] = []) {
  child = Bun.spawn(
    [process.execPath, CLI, '--config', configFile, '--port', '0', '--host', '127.0.0.1', ...flags],
    { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, LOG_LEVEL: 'info' } },
  )
  const lines: LogLine[] = []
  void collectLines(child.stdout as ReadableStream<Uint8Array>, lines)
  const started = await waitFor(() => lines.some((line) => line.port !== undefined), 5000)
  if (!started)
    throw new Error(
      `gateway did not start: ${await new Response(child.stderr as ReadableStream).text()}`,
    )
  const port = lines.find((line) => line.port !== undefined)!.port
  return { url: `http://127.0.0.1:${port}`, lines, pid: child.pid }
}

async function collectLines(stream: ReadableStream<Uint8Array>, lines: LogLine[]) {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true })
    const complete = pending.split('\n')
    pending = complete.pop()!
    for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as LogLine)
  }
}

function config(path: string) {
  return serviceConfig([{ endpoint: path, backend: [{ host: [backend!.url], url_pattern: '/x' }] }])
}

test('SIGHUP reloads the config', async () => {
  backend = startScriptedBackend(() => ({ body: { ok: true } }))
  const file = writeConfig(config('/before'))
  const gateway = await startCli(file, ['--no-watch', '--workers', '1'])
  const hash = saveInPlace(file, config('/after'))
  await Bun.sleep(200)
  const beforeSignal = await readHealth(gateway.url)

  process.kill(gateway.pid, 'SIGHUP')
  const reloaded = await waitForConfigHash(gateway.url, hash)

  expect(beforeSignal.config.generation).toBe(1)
  expect(reloaded).toBe(true)
  expect((await fetch(`${gateway.url}/after`)).status).toBe(200)
  expect((await fetch(`${gateway.url}/before`)).status).toBe(404)
  expect(gateway.lines.some((line) => line.msg.startsWith('config reloaded: generation 2'))).toBe(
    true,
  )
})

test('invalid save is logged once and the gateway keeps serving', async () => {
  backend = startScriptedBackend(() => ({ body: { ok: true } }))
  const file = writeConfig(config('/a'))
  const gateway = await startCli(file, ['--workers', '0'])
  const badHash = saveInPlace(file, serviceConfig([{ endpoint: '/a', backend: [] }]))
  const logged = await waitFor(
    () => gateway.lines.some((line) => line.msg.startsWith('config not reloaded')),
    3000,
  )
  // A SIGHUP without a new save must not repeat the errors.
  process.kill(gateway.pid, 'SIGHUP')
  await Bun.sleep(300)

  const errors = gateway.lines.filter((line) => line.level === 50)
  const health = await readHealth(gateway.url)

  expect(logged).toBe(true)
  expect(errors).toHaveLength(2)
  expect(errors[0]!.path).toBe('endpoints[0].backend')
  expect(errors[0]!.msg).toContain(
    `${file}:7:7: error: endpoints[0].backend: endpoint GET /a has no backends; add at least one`,
  )
  expect(errors[1]!.msg).toContain('config not reloaded (invalid config: 1 error(s))')
  expect(health.last_reload_error?.hash).toBe(badHash)
  expect((await fetch(`${gateway.url}/a`)).status).toBe(200)
})

test('FIFO config is rejected on SIGHUP', async () => {
  backend = startScriptedBackend(() => ({ body: { ok: true } }))
  const file = writeConfig(config('/a'))
  const gateway = await startCli(file, ['--no-watch', '--workers', '0'])
  unlinkSync(file)
  expect(Bun.spawnSync(['mkfifo', file]).exitCode).toBe(0)

  process.kill(gateway.pid, 'SIGHUP')
  const logged = await waitFor(
    () => gateway.lines.some((line) => line.msg.startsWith('config not reloaded')),
    3000,
  )
  const health = await readHealth(gateway.url)

  expect(logged).toBe(true)
  expect(health.last_reload_error?.errors.map((error) => error.message)).toEqual([
    'cannot read the file: it is a FIFO, not a regular file',
  ])
  expect((await fetch(`${gateway.url}/a`)).status).toBe(200)
})
