import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { log } from './log.ts'

// Watches the folder that contains the config file, not the file itself. Editors often save by
// writing a temporary file and renaming it over the original. A watch on the file follows the
// old inode, so on Linux with Bun 1.4.5 it reports nothing after the first such save. The folder
// reports every write, create and rename by name, and the name selects the config file.
//
// Kubernetes mounts a ConfigMap as symlinks (krakend.json -> ..data/krakend.json) and updates it
// by renaming a new `..data` link into place, so names starting with `..` count as well. A
// spurious event costs one read of the file: the reload compares hashes and stops there.

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

  let watcher: FSWatcher
  try {
    watcher = watch(folder, { persistent: false }, (_event, changed) => {
      // Some platforms omit the name; then any change in the folder may be the config file.
      if (changed !== null && !isConfigEvent(changed.toString(), name)) return
      clearTimeout(timer)
      timer = setTimeout(onChange, debounceMs)
    })
  } catch (error) {
    log.error({ err: error, folder }, 'cannot watch the config folder; reload with SIGHUP')
    return { close() {} }
  }
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

function isConfigEvent(changed: string, configName: string): boolean {
  return changed === configName || changed.startsWith('..')
}
