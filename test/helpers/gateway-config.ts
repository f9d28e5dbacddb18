import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type Gateway } from '../../src/gateway.ts'

// Starting a gateway from a config object, for tests. The config is written to a temporary file
// because the gateway reads its config from a file, as in production.

export interface TestGateway extends Gateway {
  /** Sends a request to the gateway; `path` starts with '/'. */
  request(path: string, init?: RequestInit): Promise<Response>
}

/** Starts a gateway on 127.0.0.1 (port 0); `stop()` also removes the temporary config file. */
export async function startTestGateway(config: object, workers = 0): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tailgate-test-'))
  const configFile = join(dir, 'krakend.json')
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  let gateway: Gateway
  try {
    gateway = await startGateway({ configFile, port: 0, hostname: '127.0.0.1', workers })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    ...gateway,
    request: (path, init) => fetch(`${gateway.url}${path}`, init),
    async stop() {
      await gateway.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Replaces every host of a config (service and backends) through a mapping function. */
export function rewriteHosts<T extends object>(config: T, map: (host: string) => string): T {
  const copy = structuredClone(config) as {
    host?: string[]
    endpoints?: { backend: { host?: string[] }[] }[]
  }
  if (copy.host) copy.host = copy.host.map(map)
  for (const endpoint of copy.endpoints ?? []) {
    for (const backend of endpoint.backend) if (backend.host) backend.host = backend.host.map(map)
  }
  return copy as T
}
