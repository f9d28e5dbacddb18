import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type Gateway } from '../../src/gateway.ts'

/** Writes a config object to a fresh temporary file and returns its path. */
export function writeConfig(config: unknown, name = 'krakend.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tailgate-test-'))
  const file = join(dir, name)
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2))
  return file
}

/** Starts a gateway on a free port for a config object. */
export function startTestGateway(config: unknown, workers = 0): Promise<Gateway> {
  return startGateway({ configFile: writeConfig(config), port: 0, hostname: '127.0.0.1', workers })
}

/** A version 3 config with the given endpoints. */
export function serviceConfig(endpoints: unknown[], extra: Record<string, unknown> = {}) {
  return { version: 3, timeout: '2s', ...extra, endpoints }
}
