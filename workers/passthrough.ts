import type { EndpointPlan } from '../src/plan.ts'

// Relays a backend's JSON text instead of parsing and re-encoding it, for the common endpoint
// whose manipulation only wraps the body: one backend, `json` output, and no target, allow,
// deny, flatmap, static data or sequential step. A `safejson` array then becomes
// `{"<mapping of collection>": <body text>}`, an object passes unchanged, and `group` wraps
// either. The body is still parsed once to check that it is valid JSON, but the parsed value is
// dropped: the client receives the backend's own text, so every number keeps its literal
// (12345678901234567890, 4.20) without the number-preserving parse, and nothing is re-encoded.
// Any other body shape takes the general path.
//
// NOTE: the relayed text keeps the backend's whitespace, where the general path writes compact
// JSON.

export interface Passthrough {
  /** Key an array body is wrapped in, or null when an array must take the general path. */
  arrayKey: string | null
  /** An object body passes unchanged (no key is renamed). */
  objectAsIs: boolean
  group: string | null
}

/** A relayed body: the JSON text for the client and whether it carries any data. */
export interface RawJson {
  text: string
  empty: boolean
}

/** Returns how an endpoint's single backend can be relayed as text, or null when it cannot. */
export function passthroughFor(endpoint: EndpointPlan): Passthrough | null {
  const backend = endpoint.backends[0]
  if (!backend || endpoint.backends.length > 1 || endpoint.sequential) return null
  if (endpoint.outputEncoding !== 'json' || endpoint.flatmap || endpoint.static) return null
  if (backend.encoding !== 'json' && backend.encoding !== 'safejson') return null
  if (backend.target || backend.allow || backend.deny || backend.flatmap) return null

  const renames = backend.mapping ?? []
  const wrapsArrays = backend.encoding === 'safejson' || backend.isCollection
  const collectionRename = renames.find(([from]) => from === 'collection')?.[1]
  return {
    // A dotted mapping target is cut at its first dot, as manipulate.ts does.
    arrayKey: wrapsArrays ? (collectionRename?.split('.')[0] ?? 'collection') : null,
    objectAsIs: renames.length === 0 && !(backend.encoding === 'json' && backend.isCollection),
    group: backend.group,
  }
}

/**
 * Wraps a backend body by the passthrough rules, or returns null when this body needs the
 * general path. Throws SyntaxError when the body is not valid JSON.
 */
export function relayJson(text: string, passthrough: Passthrough): RawJson | null {
  const first = firstSignificantChar(text)
  let raw: RawJson
  if (first === '[' && passthrough.arrayKey !== null) {
    JSON.parse(text)
    raw = { text: `{${JSON.stringify(passthrough.arrayKey)}:${text}}`, empty: false }
  } else if (first === '{' && passthrough.objectAsIs) {
    const value = JSON.parse(text) as Record<string, unknown>
    let empty = true
    for (const _ in value) {
      empty = false
      break
    }
    raw = { text, empty }
  } else {
    return null
  }
  if (passthrough.group === null) return raw
  return { text: `{${JSON.stringify(passthrough.group)}:${raw.text}}`, empty: false }
}

function firstSignificantChar(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // JSON whitespace: space, tab, line feed, carriage return.
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return text[i]!
  }
  return ''
}
