import { Scalar, stringify } from 'yaml'
import { isRawNumber } from './json.ts'

// YAML output (output_encoding yaml, and negotiate for text/plain or YAML). Keys are sorted and
// the indent is 2 spaces, as Go's YAML encoder that KrakenD uses writes them.

/** Writes data as a YAML document; numbers kept as JSON text keep their digits. */
export function encodeYaml(data: Record<string, unknown>): string {
  return stringify(toYamlValue(data), { sortMapEntries: true, indent: 2 })
}

function toYamlValue(value: unknown): unknown {
  if (isRawNumber(value)) return rawNumberNode(value.rawJSON)
  if (Array.isArray(value)) return value.map(toYamlValue)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) out[key] = toYamlValue(child)
    return out
  }
  return value
}

// An integer becomes a BigInt, which the YAML writer prints digit for digit; a decimal keeps its
// count of fraction digits (4.20 stays 4.20).
// NOTE: a number written with an exponent (1E2) is printed the way JavaScript prints its value.
function rawNumberNode(text: string): unknown {
  if (/^-?\d+$/.test(text)) return text === '-0' ? -0 : BigInt(text)
  const fraction = /\.(\d+)$/.exec(text)?.[1]
  if (!fraction) return Number(text)
  const node = new Scalar(Number(text))
  node.minFractionDigits = fraction.length
  return node
}
