import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { isRawNumber } from './json.ts'

// XML in the layout of mxj, the Go library KrakenD uses for the `xml` backend encoding and the
// `xml` output encoding (krakend-xml, clbanning/mxj):
// - the root element is the single top-level key;
// - attributes are keys prefixed with `-` (`<user type="admin">` → `{"-type": "admin"}`);
// - the text of an element that also has attributes is under `#text`;
// - repeated elements become arrays; every value is a string, as mxj does without casting.

const ATTRIBUTE_PREFIX = '-'
const TEXT_KEY = '#text'
/** The root element mxj writes when the data does not have exactly one top-level key. */
const DEFAULT_ROOT = 'doc'

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  textNodeName: TEXT_KEY,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // mxj keys elements and attributes by their local name.
  removeNSPrefix: true,
})

/** Parses an XML document into mxj's layout; throws an Error naming the line when it is invalid. */
export function parseXml(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text)
  if (valid !== true) {
    const where = valid.err.line ? ` at line ${valid.err.line}` : ''
    throw new Error(`${valid.err.msg}${where}`)
  }
  return parser.parse(text) as Record<string, unknown>
}

/**
 * Writes data as XML the way mxj's Map.Xml does: a single top-level key whose value is an object
 * becomes the root element, otherwise the root is `<doc>`. Keys are sorted, `-` keys become
 * attributes, arrays repeat their element, and empty values are written as `<key/>`.
 *
 * @example encodeXml({ a: { content: 'x & y' }, foo: 42 }) // '<doc><a><content>x &amp; y</content></a><foo>42</foo></doc>'
 */
export function encodeXml(data: Record<string, unknown>): string {
  const keys = Object.keys(data)
  if (keys.length === 1 && !isArrayOfScalars(data[keys[0]!])) {
    return writeElement(keys[0]!, data[keys[0]!])
  }
  return writeElement(DEFAULT_ROOT, data)
}

function isArrayOfScalars(value: unknown): boolean {
  return Array.isArray(value) && value.some((item) => !isElementObject(item))
}

// NOTE: key names are written as they are. A key that is not a valid XML name, such as one with
// a space, yields a document that XML parsers reject, as it does with mxj.
function writeElement(key: string, value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${key}/>`
    return value.map((item) => writeElement(key, item)).join('')
  }
  if (isElementObject(value)) return writeObject(key, value)
  const text = scalarText(value)
  return text === '' ? `<${key}/>` : `<${key}>${text}</${key}>`
}

function writeObject(key: string, value: Record<string, unknown>): string {
  const attributes: string[] = []
  const children: string[] = []
  for (const name of Object.keys(value).sort()) {
    if (name.length > ATTRIBUTE_PREFIX.length && name.startsWith(ATTRIBUTE_PREFIX)) {
      attributes.push(` ${name.slice(ATTRIBUTE_PREFIX.length)}="${scalarText(value[name])}"`)
    } else if (name !== TEXT_KEY) {
      children.push(writeElement(name, value[name]))
    }
  }
  const open = `<${key}${attributes.join('')}`
  const text = TEXT_KEY in value ? scalarText(value[TEXT_KEY]) : ''
  if (children.length === 0 && text === '') {
    // mxj closes an element that has only attributes, or nothing, with "/>".
    return `${open}/>`
  }
  return `${open}>${text}${children.join('')}</${key}>`
}

function isElementObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isRawNumber(value)
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (isRawNumber(value)) return value.rawJSON
  if (typeof value === 'object') return escapeXml(JSON.stringify(value))
  return escapeXml(String(value))
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
}
