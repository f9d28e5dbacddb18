import { afterEach } from 'bun:test'
import type { Gateway } from '../../src/gateway.ts'
import { startScriptedBackend, type ScriptedBackend } from './scripted-backend.ts'
import { startTestGateway } from './gateway.ts'

/**
 * Returns starters for scripted backends and gateways, and registers an afterEach hook that
 * stops everything they started. Call it once at the top of a test file.
 */
export function useServers() {
  let gateways: Gateway[] = []
  let backends: ScriptedBackend[] = []

  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()))
    await Promise.all(backends.map((backend) => backend.stop()))
    gateways = []
    backends = []
  })

  return {
    backend(script: Parameters<typeof startScriptedBackend>[0]): ScriptedBackend {
      const started = startScriptedBackend(script)
      backends.push(started)
      return started
    },
    async gateway(config: unknown, workers = 0): Promise<Gateway> {
      const started = await startTestGateway(config, workers)
      gateways.push(started)
      return started
    },
  }
}
