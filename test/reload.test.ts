import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type Gateway, type GatewayOptions } from '../src/gateway.ts'
import type { StatsSnapshot } from '../src/stats.ts'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { serviceConfig, writeConfig } from './helpers/gateway.ts'
import {
  configText,
  readHealth,
  saveByRename,
  saveInPlace,
  waitForConfigHash,
} from './helpers/reload.ts'
import { hashConfigText } from '../src/config/load.ts'
import type { ReloadOutcome } from '../src/reload.ts'

let gateway: Gateway | undefined
let backends: ScriptedBackend[] = []

afterEach(async () => {
  await gateway?.stop()
  await Promise.all(backends.map((backend) => backend.stop()))
  gateway = undefined
  backends = []
})

// Replies to `/v/{version}/{part}` with {"version": version, "part": part}, after `?delay=` ms,
// so that every response tells which plan generation built its backend URL.
function startVersionBackend(): ScriptedBackend {
  const backend = startScriptedBackend((_, request) => {
    const url = new URL(request.target, 'http://backend')
    const [, , version, part] = url.pathname.split('/')
    return {
      delayMs: Number(url.searchParams.get('delay') ?? 0),
      body: { version: Number(version), part, body: request.body },
    }
  })
  backends.push(backend)
  return backend
}

async function start(config: unknown, options: Partial<GatewayOptions> = {}) {
  const configFile = writeConfig(config)
  gateway = await startGateway({
    configFile,
    port: 0,
    hostname: '127.0.0.1',
    workers: 0,
    ...options,
  })
  return { gateway, configFile }
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init)
  return { status: response.status, body: await response.json() }
}

function repeatedOf(outcome: ReloadOutcome): boolean | undefined {
  return outcome.status === 'rejected' ? outcome.repeated : undefined
}

async function endpointStats(url: string, path: string) {
  const stats = (await (await fetch(`${url}/__stats`)).json()) as StatsSnapshot
  return stats.endpoints.find((endpoint) => endpoint.endpoint === path)
}

describe('reload under continuous load', () => {
  // Version v of the config: /stable merges two backends whose URLs carry v, with
  // concurrent_calls alternating 1 and 2; /added/v exists only in version v.
  function versionConfig(version: number, host: string) {
    return serviceConfig([
      {
        endpoint: '/stable',
        concurrent_calls: (version % 2) + 1,
        backend: [
          { host: [host], url_pattern: `/v/${version}/a`, group: 'a' },
          { host: [host], url_pattern: `/v/${version}/b`, group: 'b' },
        ],
      },
      {
        endpoint: `/added/${version}`,
        backend: [{ host: [host], url_pattern: `/v/${version}/x` }],
      },
    ])
  }

  interface LoadReport {
    stopped: boolean
    ok: number
    dropped: string[]
    badStatus: string[]
    mixed: string[]
    regressed: string[]
    versions: Set<number>
  }

  // Sends requests one after another until stopped. Each response must be a 200 built wholly
  // by one generation, and never by an older generation than the previous response.
  async function sendUntilStopped(url: string, report: LoadReport): Promise<void> {
    let lastVersion = 0
    for (let sent = 0; sent < 100_000 && !report.stopped; sent++) {
      let status: number
      let text: string
      try {
        const response = await fetch(`${url}/stable`)
        status = response.status
        text = await response.text()
      } catch (error) {
        report.dropped.push(String(error))
        continue
      }
      if (status !== 200) {
        report.badStatus.push(`${status} ${text}`)
        continue
      }
      const body = JSON.parse(text)
      if (body.a.version !== body.b.version) report.mixed.push(text)
      if (body.a.version < lastVersion) report.regressed.push(`${lastVersion} then ${text}`)
      lastVersion = body.a.version
      report.versions.add(body.a.version)
      report.ok++
    }
  }

  test('20 reloads drop no request', async () => {
    const backend = startVersionBackend()
    const { gateway, configFile } = await start(versionConfig(0, backend.url), {
      workers: 2,
      watch: true,
      watchDebounceMs: 20,
    })
    const report: LoadReport = {
      stopped: false,
      ok: 0,
      dropped: [],
      badStatus: [],
      mixed: [],
      regressed: [],
      versions: new Set(),
    }
    const clients = [1, 2, 3].map(() => sendUntilStopped(gateway.url, report))
    let stableRequests = 0

    for (let version = 1; version <= 20; version++) {
      const config = versionConfig(version, backend.url)
      // Odd versions are written in place, even ones renamed over the file as editors do.
      const hash = version % 2 ? saveInPlace(configFile, config) : saveByRename(configFile, config)
      expect(await waitForConfigHash(gateway.url, hash)).toBe(true)

      const stable = await endpointStats(gateway.url, '/stable')
      expect(stable?.concurrent_calls).toBe((version % 2) + 1)
      expect(stable!.requests).toBeGreaterThanOrEqual(stableRequests)
      stableRequests = stable!.requests
      expect((await endpointStats(gateway.url, `/added/${version}`))?.requests).toBe(0)

      const added = await getJson(`${gateway.url}/added/${version}`)
      expect(added.status).toBe(200)
      expect(added.body.version).toBe(version)
      const removed = await fetch(`${gateway.url}/added/${version - 1}`)
      expect(removed.status).toBe(404)
    }

    report.stopped = true
    await Promise.all(clients)
    const last = await getJson(`${gateway.url}/stable`)

    expect(report.dropped).toEqual([])
    expect(report.badStatus).toEqual([])
    expect(report.mixed).toEqual([])
    expect(report.regressed).toEqual([])
    expect(report.ok).toBeGreaterThan(100)
    // The clients saw many generations, so their requests did run across the reloads.
    expect(report.versions.size).toBeGreaterThan(10)
    expect(last.body.a.version).toBe(20)
    expect((await readHealth(gateway.url)).config.generation).toBe(21)
  })
})

describe.each([0, 2])('reload with %i workers', (workers) => {
  function slowConfig(version: number, host: string) {
    return serviceConfig([
      {
        endpoint: '/slow',
        backend: [{ host: [host], url_pattern: `/v/${version}/slow?delay=300` }],
      },
      {
        endpoint: '/upload',
        method: 'POST',
        backend: [{ host: [host], url_pattern: `/v/${version}/upload` }],
      },
    ])
  }

  test('request in flight finishes on the old plan', async () => {
    const backend = startVersionBackend()
    const { gateway, configFile } = await start(slowConfig(1, backend.url), { workers })

    const inFlight = getJson(`${gateway.url}/slow`)
    while (backend.received.length === 0) await Bun.sleep(5)
    saveInPlace(configFile, slowConfig(2, backend.url))
    const outcome = await gateway.reload()
    const fresh = await getJson(`${gateway.url}/slow`)
    const old = await inFlight

    expect(outcome.status).toBe('reloaded')
    expect(old.status).toBe(200)
    expect(old.body.version).toBe(1)
    expect(fresh.status).toBe(200)
    expect(fresh.body.version).toBe(2)
  })

  // The request enters the old front before the swap but reaches the dispatcher only when its
  // body has arrived, after the swap. Its plan generation must still exist then.
  test('request body arriving after the swap uses the old plan', async () => {
    const backend = startVersionBackend()
    const { gateway, configFile } = await start(slowConfig(1, backend.url), { workers })
    const encoder = new TextEncoder()
    const { promise: bodyGate, resolve: releaseBody } = Promise.withResolvers<void>()
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('first,'))
        await bodyGate
        controller.enqueue(encoder.encode('second'))
        controller.close()
      },
    })

    const upload = getJson(`${gateway.url}/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    await Bun.sleep(50)
    saveInPlace(configFile, slowConfig(2, backend.url))
    const outcome = await gateway.reload()
    // Leaves time for a retire message to reach the workers, were it sent too early.
    await Bun.sleep(50)
    releaseBody()
    const old = await upload
    const fresh = await getJson(`${gateway.url}/upload`, { method: 'POST', body: 'x' })

    expect(outcome.status).toBe('reloaded')
    expect(old.status).toBe(200)
    expect(old.body.version).toBe(1)
    expect(old.body.body).toBe('first,second')
    expect(fresh.body.version).toBe(2)
  })

  test('changed timeout, calls and filters apply to the next request', async () => {
    const backend = startScriptedBackend(() => ({ delayMs: 100, body: { ok: true } }))
    backends.push(backend)
    const item = (changes: Record<string, unknown>) =>
      serviceConfig([
        {
          endpoint: '/item',
          backend: [{ host: [backend.url], url_pattern: '/item' }],
          ...changes,
        },
      ])
    const { gateway, configFile } = await start(
      item({ timeout: '1s', concurrent_calls: 1, input_query_strings: ['q'] }),
      { workers },
    )

    const before = await fetch(`${gateway.url}/item?q=1&r=2`)
    const targetsBefore = backend.received.map((request) => request.target)
    saveInPlace(
      configFile,
      item({ timeout: '30ms', concurrent_calls: 2, input_query_strings: ['r'] }),
    )
    await gateway.reload()
    const after = await fetch(`${gateway.url}/item?q=1&r=2`)
    const targetsAfter = backend.received.slice(1).map((request) => request.target)

    expect(before.status).toBe(200)
    expect(targetsBefore).toEqual(['/item?q=1'])
    expect(after.status).toBe(504)
    expect(targetsAfter).toEqual(['/item?r=2', '/item?r=2'])
  })

  test('dot segment parameter is still rejected after a reload', async () => {
    const backend = startVersionBackend()
    const users = (version: number) =>
      serviceConfig([
        {
          endpoint: '/users/{id}',
          backend: [{ host: [backend.url], url_pattern: `/v/${version}/{id}` }],
        },
      ])
    const { gateway, configFile } = await start(users(1), { workers })
    saveInPlace(configFile, users(2))
    await gateway.reload()
    const { rawRequest } = await import('./helpers/scripted-backend.ts')

    const dots = await rawRequest(gateway.url, '/users/%2E%2E')
    const plain = await getJson(`${gateway.url}/users/ada`)

    expect(dots.status).toBe(400)
    expect(dots.body).toContain('TG_BAD_PATH_PARAM')
    expect(plain.body).toEqual({ version: 2, part: 'ada', body: '' })
  })
})

describe('reload bookkeeping', () => {
  test('stats survive for kept endpoints; new ones start at zero', async () => {
    const backend = startVersionBackend()
    const endpoint = (path: string, version: number) => ({
      endpoint: path,
      backend: [{ host: [backend.url], url_pattern: `/v/${version}/x` }],
    })
    const { gateway, configFile } = await start(
      serviceConfig([endpoint('/kept', 1), endpoint('/gone', 1)]),
    )
    for (let i = 0; i < 3; i++) await fetch(`${gateway.url}/kept`)
    await fetch(`${gateway.url}/gone`)

    saveInPlace(configFile, serviceConfig([endpoint('/kept', 2), endpoint('/new', 2)]))
    await gateway.reload()

    expect((await endpointStats(gateway.url, '/kept'))?.requests).toBe(3)
    expect((await endpointStats(gateway.url, '/kept'))?.responses['2xx']).toBe(3)
    expect((await endpointStats(gateway.url, '/new'))?.requests).toBe(0)
    expect(await endpointStats(gateway.url, '/gone')).toBeUndefined()
    expect((await fetch(`${gateway.url}/gone`)).status).toBe(404)
  })

  test('invalid save keeps serving and reports each error once', async () => {
    const backend = startVersionBackend()
    const good = serviceConfig([
      { endpoint: '/a', backend: [{ host: [backend.url], url_pattern: '/v/1/a' }] },
    ])
    const { gateway, configFile } = await start(good)
    const servedHash = gateway.config.hash
    const bad = serviceConfig([
      { endpoint: '/a', backend: [] },
      { endpoint: '/b', concurrent_calls: 'three', backend: [{ url_pattern: '/b' }] },
    ])
    const badHash = saveInPlace(configFile, bad)

    const first = await gateway.reload()
    const second = await gateway.reload()
    const response = await getJson(`${gateway.url}/a`)
    const health = await readHealth(gateway.url)

    expect(first.status).toBe('rejected')
    expect(repeatedOf(first)).toBe(false)
    expect(second.status).toBe('rejected')
    expect(repeatedOf(second)).toBe(true)
    expect(response.status).toBe(200)
    expect(response.body.version).toBe(1)
    expect(health.config.hash).toBe(servedHash)
    expect(health.reloads).toEqual({ succeeded: 0, rejected: 1 })
    expect(health.last_reload_error?.hash).toBe(badHash)
    expect(health.last_reload_error?.errors.map((error) => error.path).sort()).toEqual([
      'endpoints[0].backend',
      'endpoints[1].backend[0].host',
      'endpoints[1].concurrent_calls',
    ])

    const fixedHash = saveInPlace(configFile, { ...good, name: 'fixed' })
    const fixed = await gateway.reload()
    const after = await readHealth(gateway.url)

    expect(fixed.status).toBe('reloaded')
    expect(after.config.hash).toBe(fixedHash)
    expect(after.last_reload_error).toBeNull()
  })

  test('unreadable file is rejected and the old config kept', async () => {
    const { gateway, configFile } = await start(serviceConfig([]))
    const { rmSync } = await import('node:fs')
    rmSync(configFile)

    const outcome = await gateway.reload()
    const health = await readHealth(gateway.url)

    expect(outcome.status).toBe('rejected')
    expect(health.last_reload_error?.errors[0]?.message).toBe('cannot read the file (ENOENT)')
    expect(health.config.generation).toBe(1)
  })

  test('port change needs a restart; the rest applies', async () => {
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
    const port = probe.port!
    probe.stop(true)
    const backend = startVersionBackend()
    const config = (configPort: number, path: string) =>
      serviceConfig(
        [{ endpoint: path, backend: [{ host: [backend.url], url_pattern: '/v/1/x' }] }],
        { port: configPort },
      )
    const { gateway, configFile } = await start(config(port, '/before'), { port: undefined })
    saveInPlace(configFile, config(port + 1, '/after'))

    const outcome = await gateway.reload()
    const health = await readHealth(gateway.url)

    expect(gateway.port).toBe(port)
    expect(outcome.status).toBe('reloaded')
    expect((outcome as { restartRequired?: unknown }).restartRequired).toEqual([
      { key: 'port', running: port, configured: port + 1 },
    ])
    expect(health.restart_required).toEqual([{ key: 'port', running: port, configured: port + 1 }])
    expect((await fetch(`${gateway.url}/after`)).status).toBe(200)
    expect((await fetch(`${gateway.url}/before`)).status).toBe(404)
  })

  test('health reports file, hash and load time', async () => {
    const config = serviceConfig([])
    const startedAt = Date.now()
    const { gateway, configFile } = await start(config)

    const health = await readHealth(gateway.url)

    expect(health.status).toBe('ok')
    expect(health.config.file).toBe(configFile)
    expect(health.config.hash).toBe(hashConfigText(JSON.stringify(config, null, 2)))
    expect(Date.parse(health.config.loaded_at)).toBeGreaterThanOrEqual(startedAt - 1000)
    expect(health.config.generation).toBe(1)
    expect(health.last_reload_error).toBeNull()
    expect(health.restart_required).toEqual([])
  })

  test('unchanged file is not reloaded', async () => {
    const config = serviceConfig([])
    const { gateway, configFile } = await start(config)
    // The helper saves with a final newline, so this is a new version of the file.
    saveInPlace(configFile, config)
    await gateway.reload()

    const outcome = await gateway.reload()

    expect(outcome.status).toBe('unchanged')
    expect((await readHealth(gateway.url)).config.generation).toBe(2)
  })
})

describe('config watcher', () => {
  test('rename-style save is seen', async () => {
    const backend = startVersionBackend()
    const config = (version: number) =>
      serviceConfig([
        { endpoint: '/v', backend: [{ host: [backend.url], url_pattern: `/v/${version}/x` }] },
      ])
    const { gateway, configFile } = await start(config(1), { watch: true, watchDebounceMs: 20 })

    const first = saveByRename(configFile, config(2))
    const seenFirst = await waitForConfigHash(gateway.url, first)
    const second = saveByRename(configFile, config(3))
    const seenSecond = await waitForConfigHash(gateway.url, second)

    expect(seenFirst).toBe(true)
    expect(seenSecond).toBe(true)
    expect((await getJson(`${gateway.url}/v`)).body.version).toBe(3)
  })

  // The layout kubelet writes for a ConfigMap volume, and its atomic update.
  test('ConfigMap-style symlink swap is seen', async () => {
    const backend = startVersionBackend()
    const config = (version: number) =>
      serviceConfig([
        { endpoint: '/v', backend: [{ host: [backend.url], url_pattern: `/v/${version}/x` }] },
      ])
    const folder = mkdtempSync(join(tmpdir(), 'tailgate-configmap-'))
    mkdirSync(join(folder, '..first'))
    writeFileSync(join(folder, '..first/krakend.json'), configText(config(1)))
    symlinkSync('..first', join(folder, '..data'))
    symlinkSync('..data/krakend.json', join(folder, 'krakend.json'))
    gateway = await startGateway({
      configFile: join(folder, 'krakend.json'),
      port: 0,
      hostname: '127.0.0.1',
      workers: 0,
      watch: true,
      watchDebounceMs: 20,
    })

    mkdirSync(join(folder, '..second'))
    writeFileSync(join(folder, '..second/krakend.json'), configText(config(2)))
    symlinkSync('..second', join(folder, '..data_tmp'))
    renameSync(join(folder, '..data_tmp'), join(folder, '..data'))
    const seen = await waitForConfigHash(gateway.url, hashConfigText(configText(config(2))))

    expect(seen).toBe(true)
    expect((await getJson(`${gateway.url}/v`)).body.version).toBe(2)
  })

  test('burst of writes makes one reload', async () => {
    const config = (name: string) => serviceConfig([], { name })
    const { gateway, configFile } = await start(config('0'), {
      watch: true,
      watchDebounceMs: 100,
    })

    let hash = ''
    for (let i = 1; i <= 5; i++) hash = saveInPlace(configFile, config(String(i)))
    const seen = await waitForConfigHash(gateway.url, hash)
    await Bun.sleep(150)

    expect(seen).toBe(true)
    expect((await readHealth(gateway.url)).reloads.succeeded).toBe(1)
  })
})
