import type { Encoding } from '../src/plan.ts'

// Backend body decoding, by the backend's `encoding`, as KrakenD's decoders behave:
// - json: the body must be an object, or an array when is_collection is set (wrapped as
//   {"collection": [...]}); `null` decodes to no data.
// - safejson: any JSON; an array becomes {"collection": [...]}, a scalar {"content": value}.
// - string: the whole body as {"content": "<body>"}.

export type Data = Record<string, unknown>

export class DecodeError extends Error {
  override name = 'DecodeError'
}

/** Decodes a backend body; returns null for a JSON `null` body. Throws DecodeError. */
export function decodeBody(text: string, encoding: Encoding, isCollection: boolean): Data | null {
  if (encoding === 'string') return { content: text }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const reason = text.length === 0 ? 'the body is empty' : (error as Error).message
    throw new DecodeError(`invalid JSON from backend: ${reason}`)
  }
  if (encoding === 'safejson') return wrapAny(value)
  if (value === null) return null
  if (isCollection) {
    if (!Array.isArray(value)) {
      throw new DecodeError(
        `expected a JSON array because is_collection is set; got ${typeName(value)}`,
      )
    }
    return { collection: value }
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DecodeError(
      `expected a JSON object; got ${typeName(value)} (set is_collection for an array, or use safejson)`,
    )
  }
  return value as Data
}

function wrapAny(value: unknown): Data {
  if (Array.isArray(value)) return { collection: value }
  if (value !== null && typeof value === 'object') return value as Data
  return { content: value }
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}
