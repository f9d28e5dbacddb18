// Go duration strings as KrakenD writes them ("2s", "300ms", "1m30s", "1.5h", "150us").
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Largest `timeout` and `loser_drain`: 24 h, a round bound below setTimeout's limit. Bun 1.4.5,
 * like Node, fires a timer at once when its delay is above 2^31 - 1 ms (about 24.8 days).
 */
export const MAX_TIMEOUT_MS = 24 * 3_600_000
export const MAX_TIMEOUT_TEXT = '24h'

/**
 * Largest `cache_ttl` in seconds: 2^31 - 1 (about 68 years). RFC 9111 section 1.2.2 lets a
 * cache read any larger max-age as 2^31 seconds, so a larger value adds nothing.
 */
export const MAX_CACHE_TTL_SECONDS = 2 ** 31 - 1

export const DURATION_PATTERN = '^([0-9]*\\.?[0-9]+(ns|us|µs|μs|ms|s|m|h))+$|^0$'

/** Parses a Go duration string into milliseconds, or returns undefined when it is invalid. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0
  let total = 0
  DURATION_PART.lastIndex = 0
  while (DURATION_PART.lastIndex < text.length) {
    const start = DURATION_PART.lastIndex
    const match = DURATION_PART.exec(text)
    if (!match || match.index !== start) return undefined
    total += Number(match[1]) * UNIT_MS[match[2]!]!
  }
  return text.length > 0 ? total : undefined
}

/**
 * Converts a config duration to milliseconds. KrakenD's parser reads a bare number as
 * nanoseconds, so `3600` is 3.6 µs, not an hour; Tailgate reads it the same way and the
 * loader warns about it.
 */
export function durationToMs(value: string | number): number {
  if (typeof value === 'number') return value / 1e6
  const ms = parseDuration(value)
  if (ms === undefined) throw new TypeError(`invalid duration '${value}'`)
  return ms
}

/**
 * Converts a config `cache_ttl` to whole seconds. A bare number is nanoseconds and is truncated,
 * as KrakenD does; a string is rounded, because the loader accepts only whole seconds there and
 * the float sum of its parts can miss by a rounding error ("4.35m" gives 260999.99999999997 ms).
 */
export function cacheTtlToSeconds(value: string | number): number {
  if (typeof value === 'number') return Math.floor(value / 1e9)
  return Math.round(durationToMs(value) / 1000)
}

/** Tells whether a duration in milliseconds is a whole number of seconds, up to rounding error. */
export function isWholeSeconds(ms: number): boolean {
  const seconds = ms / 1000
  return Math.abs(seconds - Math.round(seconds)) < 1e-6
}
