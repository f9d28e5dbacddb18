import { renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { hashConfigText } from '../../src/config/load.ts'
import type { HealthDocument } from '../../src/health.ts'

/** Serialises a config as a user would save it and returns the text. */
export function configText(config: unknown): string {
  return `${JSON.stringify(config, null, 2)}\n`
}

/** Saves in place, as `echo > file` does: truncate and write the same inode. */
export function saveInPlace(file: string, config: unknown): string {
  const text = configText(config)
  writeFileSync(file, text)
  return hashConfigText(text)
}

/** Saves as many editors do: write a temporary file beside it and rename it over the original. */
export function saveByRename(file: string, config: unknown): string {
  const text = configText(config)
  const temporary = join(dirname(file), `.krakend.json.${process.pid}.tmp`)
  writeFileSync(temporary, text)
  renameSync(temporary, file)
  return hashConfigText(text)
}

export async function readHealth(gatewayUrl: string): Promise<HealthDocument> {
  return (await (await fetch(`${gatewayUrl}/__health`)).json()) as HealthDocument
}

/** Polls `/__health` every 10 ms until it reports `hash`; returns whether it did in time. */
export async function waitForConfigHash(
  gatewayUrl: string,
  hash: string,
  timeoutMs = 3000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await readHealth(gatewayUrl)).config.hash === hash) return true
    await Bun.sleep(10)
  }
  return false
}
