import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { log } from './log.ts'

// Watches the folder that contains the config file, not the file itself. Editors often save by
// writing a temporary file and renaming it over the original; a watch on the file follows the
// old inode and, on Linux with Bun 1.4.5, reports nothing after the first such save. The folder
// reports every write, create and rename by name, and the name selects the config file.

/** Quiet time after the last event before the callback runs: one save can emit several events. */
export const DEFAULT_DEBOUNCE_MS = 100

export interface ConfigWatcher {
  close(): void
}

/** Calls `onChange` once per burst of writes to `file`, after `debounceMs` without events. */
export function watchConfigFile(
  file: string,
  onChange: () => void,
  debounceMs = DEFAULT_DEBOUNCE_MS,
): ConfigWatcher {
  const path = resolve(file)
  const folder = dirname(path)
  const name = basename(path)
  let timer: ReturnType<typeof setTimeout> | undefined

  const watcher: FSWatcher = watch(folder, { persistent: false }, (_event, changed) => {
    // Some platforms omit the name; then any change in the folder may be the config file.
    if (changed !== null && changed.toString() !== name) return
    clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
  })
  watcher.on('error', (error) => {
    log.error({ err: error, folder }, 'watching the config folder failed; reload with SIGHUP')
  })
  log.info({ file: path, debounceMs }, 'watching the config file for changes')

  return {
    close() {
      clearTimeout(timer)
      watcher.close()
    },
  }
}
