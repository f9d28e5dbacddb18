import { describe, expect, test } from 'bun:test'
import { decodeBody, DecodeError } from '../workers/decode.ts'
import { parseJson } from '../workers/json.ts'
import { negotiate, renderData } from '../workers/render.ts'
import { encodeXml } from '../workers/xml.ts'

// XML in mxj's layout, YAML output and Accept negotiation.

describe('xml decoding', () => {
  test('text beside attributes goes under #text', () => {
    expect(decodeBody('<a id="1">text</a>', 'xml', false)).toEqual({
      a: { '-id': '1', '#text': 'text' },
    })
  })

  test('values stay strings and empty elements are empty strings', () => {
    expect(decodeBody('<a><n>42</n><e/><f></f></a>', 'xml', false)).toEqual({
      a: { n: '42', e: '', f: '' },
    })
  })

  test('entities and CDATA are decoded', () => {
    expect(decodeBody('<a><b>x &amp; y</b><c><![CDATA[<z>]]></c></a>', 'xml', false)).toEqual({
      a: { b: 'x & y', c: '<z>' },
    })
  })

  test('namespace prefixes are dropped', () => {
    expect(decodeBody('<s:a xmlns:s="urn:x"><s:b>1</s:b></s:a>', 'xml', false)).toEqual({
      a: { b: '1' },
    })
  })

  test('invalid xml is a decode error naming the line', () => {
    expect(() => decodeBody('<a>\n<b></a>', 'xml', false)).toThrow(DecodeError)
    expect(() => decodeBody('<a>\n<b></a>', 'xml', false)).toThrow(/line 2/)
  })

  test('an empty body is a decode error', () => {
    expect(() => decodeBody('', 'xml', false)).toThrow(
      'invalid XML from backend: the body is empty',
    )
  })
})

describe('xml encoding', () => {
  test('attributes and elements are sorted', () => {
    expect(encodeXml({ user: { name: 'E', '-z': '2', '-a': '1', age: 3 } })).toBe(
      '<user a="1" z="2"><age>3</age><name>E</name></user>',
    )
  })

  test('empty values close the element', () => {
    expect(encodeXml({ a: {}, b: '', c: null, d: [] })).toBe('<doc><a/><b/><c/><d/></doc>')
  })

  test('arrays repeat their element', () => {
    expect(encodeXml({ list: { item: [1, 'two', { x: 3 }] } })).toBe(
      '<list><item>1</item><item>two</item><item><x>3</x></item></list>',
    )
  })

  test('a single key holding scalars is wrapped in doc', () => {
    expect(encodeXml({ item: ['a', 'b'] })).toBe('<doc><item>a</item><item>b</item></doc>')
  })

  test('attribute values are escaped', () => {
    expect(encodeXml({ a: { '-q': 'x"<y' } })).toBe('<a q="x&quot;&lt;y"/>')
  })

  test('raw numbers keep their text', () => {
    expect(encodeXml(parseJson('{"a":4.20,"b":true}') as Record<string, unknown>)).toBe(
      '<doc><a>4.20</a><b>true</b></doc>',
    )
  })
})

describe('yaml and negotiation', () => {
  test('yaml sorts keys and keeps raw numbers', () => {
    const data = parseJson('{"b":[1.0,-0],"a":{"n":12345678901234567890}}') as Record<
      string,
      unknown
    >
    expect(renderData(data, 'yaml').body).toBe(
      'a:\n  n: 12345678901234567890\nb:\n  - 1.0\n  - -0\n',
    )
  })

  test('negotiate follows the order of the Accept header', () => {
    expect(negotiate('')).toBe('json')
    expect(negotiate('text/plain')).toBe('yaml')
    expect(negotiate('application/x-yaml')).toBe('yaml')
    expect(negotiate('application/xml;q=0.9, text/plain')).toBe('xml')
    expect(negotiate('text/html, application/xml')).toBe('xml')
    expect(negotiate('text/*')).toBe('yaml')
    expect(negotiate('*/*')).toBe('json')
    expect(negotiate('image/png')).toBe('json')
  })

  test('json-collection renders the collection or an empty list', () => {
    expect(renderData({ collection: [1, 2] }, 'json-collection').body).toBe('[1,2]')
    expect(renderData({ other: 1 }, 'json-collection').body).toBe('[]')
  })

  test('json renders null data as null', () => {
    expect(renderData(null, 'json').body).toBe('null')
  })
})
