// JSON parsing that keeps each number's original text.
//
// Plain JSON.parse turns 12345678901234567890 into 12345678901234567000 and 4.20 into 4.2, so a
// body re-encoded after parsing no longer matches what the backend sent. KrakenD keeps the literal
// (Go's json.Decoder with UseNumber). Here, a number whose text would change on a round trip is
// parsed into a raw JSON value (JSON.rawJSON, which JSON.stringify writes back byte for byte);
// every other number stays a plain number.
//
// Cost: a body without such a number takes the fast path, one JSON.parse plus the LOSSY_NUMBER
// scans below. The scans look for the shapes of literals that may not round-trip, in strings as
// well as in numbers, so a false positive is possible and only costs the slow path: a JSON.parse
// with a reviver that reads each number's source text (Bun passes it as `context.source`).
// Measured with `bun bench/json-parse.ts` (Bun 1.4.5, 2-core x86_64 shared with other jobs, best
// of 5 rounds): on a 77 KB CoinGecko markets page, JSON.parse took 115-125 µs and the scans
// about 95 µs; on a 29 KB text-heavy body, 45 µs and 28 µs; the slow path took 7 to 8 times
// JSON.parse.
// TODO(perf): the scans cost most of a JSON.parse again on number-dense bodies. A native
// number-preserving parse, or a byte scanner that skips strings, could remove most of it.

/** A number kept as its original JSON text; JSON.stringify writes the text unchanged. */
export interface RawNumber {
  readonly rawJSON: string
}

interface RawJsonApi {
  rawJSON(text: string): RawNumber
  isRawJSON(value: unknown): boolean
}

interface ReviverContext {
  source?: string
}

const rawJsonApi = JSON as unknown as JSON & RawJsonApi

// Each pattern is a shape of number literal whose JavaScript round trip can differ from its
// text. They are tested one by one: in Bun 1.4.5 one alternation of them all scans about 3 times
// as slowly as the separate patterns together, because no single first character anchors it.
const LOSSY_NUMBER = [
  // 16 or more digits (dots allowed): integers past 2^53 and decimals past double precision.
  /\d[\d.]{15}/,
  // A fraction ending in 0 (4.20, 1.0), or a decimal below 1e-6, which JavaScript prints as 1e-7.
  /\.(?:\d*0[\s,}\]]|000000)/,
  // Negative zero, followed by what can follow a number.
  /-0(?=[\s,}\]])/,
  // An exponent (1E2, 1e-07). Anchoring on the letter is several times faster than on a digit.
  /[eE][-+]?\d+[\s,}\]]/,
]

/**
 * Parses JSON text like JSON.parse, except that a number whose text would change when written
 * back (a big integer, trailing zeros, an exponent, -0) becomes a RawNumber. Throws SyntaxError.
 *
 * @example parseJson('{"id":12345678901234567890}') // { id: RawNumber('12345678901234567890') }
 */
export function parseJson(text: string): unknown {
  return mayHaveLossyNumber(text) ? JSON.parse(text, keepNumberText) : JSON.parse(text)
}

/** Tells whether a value is a number kept as text by parseJson. */
export function isRawNumber(value: unknown): value is RawNumber {
  return typeof value === 'object' && value !== null && rawJsonApi.isRawJSON(value)
}

/** Tells whether a value is a JSON object: not null, not an array, not a RawNumber. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isRawNumber(value)
}

/** Tells whether a body might hold a number that plain JSON.parse would change. */
export function mayHaveLossyNumber(text: string): boolean {
  // A body that is a bare number (safejson accepts one) has no delimiter before it to match.
  const first = text.trimStart().charCodeAt(0)
  if (first === 45 || (first >= 48 && first <= 57)) return true
  for (const pattern of LOSSY_NUMBER) if (pattern.test(text)) return true
  return false
}

function keepNumberText(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value
  return String(value) === context.source ? value : rawJsonApi.rawJSON(context.source)
}
