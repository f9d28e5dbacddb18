import type { OutputEncoding } from '../src/plan.ts'
import type { Data } from './decode.ts'

const JSON_TYPE = 'application/json; charset=utf-8'
const TEXT_TYPE = 'text/plain; charset=utf-8'

/** Renders merged data by the endpoint's output_encoding (no-op is relayed before this). */
export function renderData(
  data: Data,
  encoding: OutputEncoding,
): { contentType: string; body: string } {
  switch (encoding) {
    case 'json-collection': {
      const collection = Array.isArray(data.collection) ? data.collection : []
      return { contentType: JSON_TYPE, body: JSON.stringify(collection) }
    }
    case 'string':
      return { contentType: TEXT_TYPE, body: typeof data.content === 'string' ? data.content : '' }
    default:
      return { contentType: JSON_TYPE, body: JSON.stringify(data) }
  }
}
