import type { OutputEncoding } from '../src/plan.ts'
import type { Data } from './decode.ts'
import { encodeXml } from './xml.ts'
import { encodeYaml } from './yaml.ts'

// Response bodies by the endpoint's output_encoding, as KrakenD's renders write them (lura
// router/gin/render.go, with krakend-xml's render for xml). no-op is relayed before this.

const JSON_TYPE = 'application/json; charset=utf-8'
const TEXT_TYPE = 'text/plain; charset=utf-8'
const XML_TYPE = 'application/xml'
const YAML_TYPE = 'application/yaml; charset=utf-8'

export interface RenderedBody {
  contentType: string
  body: string
}

/**
 * Renders response data. `data` is null when a single backend returned a JSON `null`, which
 * JSON output writes as `null`, as KrakenD does. `accept` is the client's Accept header, read by `negotiate`.
 */
export function renderData(data: Data | null, encoding: OutputEncoding, accept = ''): RenderedBody {
  switch (encoding) {
    case 'json-collection': {
      const collection = data && 'collection' in data ? data.collection : []
      return { contentType: JSON_TYPE, body: JSON.stringify(collection) ?? 'null' }
    }
    case 'string':
      return { contentType: TEXT_TYPE, body: typeof data?.content === 'string' ? data.content : '' }
    case 'xml':
      return { contentType: XML_TYPE, body: encodeXml(data ?? {}) }
    case 'yaml':
      return { contentType: YAML_TYPE, body: encodeYaml(data ?? {}) }
    case 'negotiate':
      return renderData(data, negotiate(accept), accept)
    default:
      return { contentType: JSON_TYPE, body: JSON.stringify(data) }
  }
}

// Offered in this order, as gin's NegotiateFormat is called by KrakenD: JSON, plain text, XML,
// YAML. Plain text is rendered as YAML.
const OFFERS: [string, OutputEncoding][] = [
  ['application/json', 'json'],
  ['text/plain', 'yaml'],
  ['application/xml', 'xml'],
  ['application/x-yaml', 'yaml'],
  ['application/yaml', 'yaml'],
]

/**
 * Picks json, xml or yaml from an Accept header the way gin's NegotiateFormat does. Media ranges
 * are tried in the order written, without reading q-values, and the first one that matches an
 * offer wins. A `*` matches anything from there on. No match, or no header, gives JSON.
 */
export function negotiate(accept: string): OutputEncoding {
  for (const range of accept.split(',')) {
    const mediaRange = range.split(';')[0]!.trim()
    if (mediaRange === '') continue
    for (const [offer, encoding] of OFFERS) {
      if (matchesOffer(mediaRange, offer)) return encoding
    }
  }
  return 'json'
}

function matchesOffer(mediaRange: string, offer: string): boolean {
  let i = 0
  for (; i < mediaRange.length && i < offer.length; i++) {
    if (mediaRange[i] === '*') return true
    if (mediaRange[i] !== offer[i]) return false
  }
  return i === mediaRange.length
}
