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
