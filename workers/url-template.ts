import type { ResponseReference, UrlTemplate } from '../src/plan.ts'
import type { Data } from './decode.ts'
import { isJsonObject, isRawNumber } from './json.ts'

// Filling a url_pattern template: endpoint parameters, and in a sequential endpoint the values
// taken from earlier backends' responses.

/**
 * Builds URL text from a template. `responses[i]` is backend i's manipulated data, present only in
 * a sequential endpoint for the backends that already ran.
 */
export function fillTemplate(
  template: UrlTemplate,
  params: readonly string[],
  encode: (value: string) => string,
  responses?: readonly (Data | null | undefined)[],
): string {
  let out = ''
  for (const part of template) {
    if (typeof part === 'string') out += part
    else if (typeof part === 'number') out += encode(params[part] ?? '')
    else out += fillReference(part, responses, encode)
  }
  return out
}

function fillReference(
  reference: ResponseReference,
  responses: readonly (Data | null | undefined)[] | undefined,
  encode: (value: string) => string,
): string {
  const value = readPath(responses?.[reference.backend], reference.path)
  return value === undefined ? reference.text : encode(formatResponseValue(value))
}

function readPath(data: unknown, path: readonly string[]): unknown {
  let node = data
  for (const key of path) {
    if (!isJsonObject(node) || !Object.hasOwn(node, key)) return undefined
    node = node[key]
  }
  return node
}

/**
 * Formats a response value for a URL as KrakenD's sequential proxy does: strings, booleans and
 * numbers as their text, arrays as their items joined with commas. KrakenD prints an object in
 * Go's map syntax and null as `<nil>`; Tailgate writes an object as JSON and null as empty text.
 */
export function formatResponseValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatResponseValue).join(',')
  if (value === null || value === undefined) return ''
  if (isRawNumber(value)) return value.rawJSON
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
