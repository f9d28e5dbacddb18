// The backend encodings and endpoint output encodings Tailgate implements.

export type Encoding = 'json' | 'safejson' | 'string' | 'xml' | 'no-op'
export type OutputEncoding =
  | 'json'
  | 'json-collection'
  | 'string'
  | 'xml'
  | 'yaml'
  | 'negotiate'
  | 'no-op'

export const ENCODINGS: readonly Encoding[] = ['json', 'safejson', 'string', 'xml', 'no-op']
export const OUTPUT_ENCODINGS: readonly OutputEncoding[] = [
  'json',
  'json-collection',
  'string',
  'xml',
  'yaml',
  'negotiate',
  'no-op',
]
