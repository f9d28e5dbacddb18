import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'

// Reads a config file without blocking on what is not a regular file. The file is opened with
// O_NONBLOCK, because opening a FIFO for reading otherwise waits for a writer. The checks run on
// the open descriptor, so a file swapped for another after the check is never read.

/** Largest config file read: 16 MiB. The largest public KrakenD config in test/fixtures has 24 KB. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024

/** A file that was opened but is not a regular file of an accepted size. */
export class FileRejectedError extends Error {
  override name = 'FileRejectedError'
}

/**
 * Reads a regular file (symlinks followed) of at most `maxBytes` as UTF-8. Throws
 * FileRejectedError for another kind of file or a larger one, and the fs error when the file
 * cannot be opened or read.
 */
export function readRegularFile(file: string, maxBytes = MAX_CONFIG_BYTES): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) {
      throw new FileRejectedError(`it is ${describeKind(stats)}, not a regular file`)
    }
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes)
    const bytes = readUpTo(fd, stats.size, maxBytes)
    // The file can grow between fstat and the read, so the read itself is bounded too.
    if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes, 'at least ')
    return bytes.toString('utf8')
  } finally {
    closeSync(fd)
  }
}

// Reads until end of file or until `limit + 1` bytes, starting with room for `expected` bytes.
function readUpTo(fd: number, expected: number, limit: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(expected, limit) + 1)
  let length = 0
  for (;;) {
    if (length === buffer.length) {
      if (length > limit) break
      const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, limit + 1))
      buffer.copy(larger, 0, 0, length)
      buffer = larger
    }
    const read = readSync(fd, buffer, length, buffer.length - length, null)
    if (read === 0) break
    length += read
  }
  return buffer.subarray(0, length)
}

function tooLarge(size: number, maxBytes: number, qualifier = ''): FileRejectedError {
  return new FileRejectedError(
    `it is ${qualifier}${size} bytes, above the limit of ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB)`,
  )
}

function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'not a regular file'
}
