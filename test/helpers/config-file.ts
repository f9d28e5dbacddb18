import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Writes a config to a new temporary directory; `remove` deletes the directory. */
export function writeConfig(config: unknown): { file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tailgate-test-'))
  const file = join(dir, 'krakend.json')
  writeFileSync(file, JSON.stringify(config, null, 2))
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
