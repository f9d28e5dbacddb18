import { describe, expect, test } from 'bun:test'
import { compileFlatmap } from '../src/config/extra-config.ts'
import { applyFlatmap } from '../workers/flatmap.ts'
import { parseJson } from '../workers/json.ts'

// flatmap_filter operations on small documents, beyond KrakenD's own vectors.

function run(data: object, ops: { type: string; args: string[] }[]): unknown {
  return applyFlatmap(structuredClone(data) as Record<string, unknown>, compileFlatmap(ops)!)
}

describe('flatmap del', () => {
  test('removes array items by their original index', () => {
    const result = run({ list: ['a', 'b', 'c', 'd'] }, [
      { type: 'del', args: ['list.0'] },
      { type: 'del', args: ['list.2'] },
    ])
    expect(result).toEqual({ list: ['b', 'd'] })
  })

  test('a path through a scalar does nothing', () => {
    expect(run({ a: 'text', b: 1 }, [{ type: 'del', args: ['a.x'] }])).toEqual({ a: 'text', b: 1 })
  })

  test('a final wildcard empties the container', () => {
    expect(
      run({ a: { x: 1, y: 2 }, list: [1, 2] }, [{ type: 'del', args: ['a.*', 'list.*'] }]),
    ).toEqual({
      a: {},
      list: [],
    })
  })

  test('a wildcard walks object values as well as array items', () => {
    const data = { byId: { one: { secret: 1, name: 'a' }, two: { secret: 2, name: 'b' } } }
    expect(run(data, [{ type: 'del', args: ['byId.*.secret'] }])).toEqual({
      byId: { one: { name: 'a' }, two: { name: 'b' } },
    })
  })
})

describe('flatmap move', () => {
  test('renames a key in place', () => {
    const result = run({ a: 1, b: 2, c: 3 }, [{ type: 'move', args: ['b', 'B'] }])
    expect(Object.keys(result as object)).toEqual(['a', 'B', 'c'])
  })

  test('moves into a new nested path', () => {
    expect(run({ a: 1, keep: true }, [{ type: 'move', args: ['a', 'x.y.z'] }])).toEqual({
      keep: true,
      x: { y: { z: 1 } },
    })
  })

  test('promotes a nested value to the top', () => {
    expect(
      run({ data: { user: { id: 7 } } }, [{ type: 'move', args: ['data.user', 'user'] }]),
    ).toEqual({
      data: {},
      user: { id: 7 },
    })
  })

  test('a destination wildcard takes the matched key', () => {
    const data = { items: [{ price: 1 }, { price: 2 }] }
    expect(run(data, [{ type: 'move', args: ['items.*.price', 'items.*.cost.eur'] }])).toEqual({
      items: [{ cost: { eur: 1 } }, { cost: { eur: 2 } }],
    })
  })

  test('a source ending with a wildcard moves nothing', () => {
    expect(run({ a: { x: 1 } }, [{ type: 'move', args: ['a.*', 'b'] }])).toEqual({ a: { x: 1 } })
  })

  test('a missing source does nothing', () => {
    expect(run({ a: 1 }, [{ type: 'move', args: ['missing', 'b'] }])).toEqual({ a: 1 })
  })

  test('index paths after a delete use the original indexes', () => {
    const data = { list: [{ v: 0 }, { v: 1 }, { v: 2 }] }
    const result = run(data, [
      { type: 'del', args: ['list.0'] },
      { type: 'move', args: ['list.1.v', 'list.1.value'] },
    ])
    expect(result).toEqual({ list: [{ value: 1 }, { v: 2 }] })
  })
})

describe('flatmap append', () => {
  test('appends a collected wildcard path', () => {
    const data = { ids: [0], items: [{ id: 1 }, { id: 2 }] }
    expect(run(data, [{ type: 'append', args: ['items.*.id', 'ids'] }])).toEqual({
      ids: [0, 1, 2],
      items: [{}, {}],
    })
  })

  test('does nothing unless both paths are arrays', () => {
    const data = { a: [1], b: 'x' }
    expect(run(data, [{ type: 'append', args: ['a', 'b'] }])).toEqual(data)
  })
})

test('flatmap keeps raw numbers intact', () => {
  const data = parseJson('{"a":{"id":12345678901234567890}}') as Record<string, unknown>
  applyFlatmap(data, compileFlatmap([{ type: 'move', args: ['a.id', 'id'] }])!)
  expect(JSON.stringify(data)).toBe('{"a":{},"id":12345678901234567890}')
})
