import type { FlatmapOp } from '../src/config/extra-config.ts'
import type { Data } from './decode.ts'
import { isJsonObject } from './json.ts'

// The flatmap_filter operations of KrakenD (library krakend/flatmap), applied in order to data
// that belongs to one response, which they change in place:
// - move [src, dst]: moves the value at src to dst. A `*` in src matches every key or array
//   item, and a `*` in dst takes the key that the `*` at the same position in src matched.
// - del [path, ...]: deletes each path; a `*` as the last step empties the container.
// - append [src, dst]: when both are arrays, dst becomes dst's items followed by src's, and src is
//   deleted.
// Array indexes in paths are those of the original array until all operations have run, as in
// KrakenD, where items keep their labels: a deleted item becomes a hole that later steps skip,
// and holes are removed at the end.
//
// Deliberate differences from krakend/flatmap: a move writes to dst as written, creating missing
// objects (KrakenD renames the key under the source's parent whenever both paths have the same
// length, whatever dst's parents say), and a container emptied by del stays {} or [] (KrakenD
// writes null).

const WILDCARD = '*'
const HOLE: unique symbol = Symbol('deleted array item')

type Container = Data | unknown[]

interface Match {
  path: string[]
  parent: Container
  key: string
}

/** Runs flatmap operations on data in place and returns it. */
export function applyFlatmap(data: Data, ops: readonly FlatmapOp[]): Data {
  const holed = new Set<unknown[]>()
  for (const op of ops) {
    if (op.type === 'move') move(data, op.args[0]!, op.args[1]!, holed)
    else if (op.type === 'append') append(data, op.args[0]!, op.args[1]!, holed)
    else for (const path of op.args) remove(data, path, 0, holed)
  }
  for (const array of holed) compact(array)
  return data
}

function move(root: Data, src: string[], dst: string[], holed: Set<unknown[]>): void {
  const matches: Match[] = []
  collect(root, src, 0, [], matches)
  const moved = matches.map((match) => {
    const value = readChild(match.parent, match.key)
    return { match, value, target: resolveTarget(dst, match.path) }
  })

  for (const { match, value, target } of moved) {
    if (Array.isArray(match.parent) || !sameParent(match.path, target)) {
      deleteChild(match.parent, match.key, holed)
      writePath(root, target, value)
    } else {
      renameKey(match.parent, match.key, target[target.length - 1]!, value)
    }
  }
}

function append(root: Data, src: string[], dst: string[], holed: Set<unknown[]>): void {
  const items = readPath(root, src, 0)
  const into = readPath(root, dst, 0)
  if (!Array.isArray(items) || !Array.isArray(into)) return

  const combined = [...withoutHoles(into), ...withoutHoles(items)]
  remove(root, src, 0, holed)
  writePath(root, dst, combined)
}

/** Finds every existing node that src names; `*` in the last step never matches, as in KrakenD. */
function collect(node: unknown, src: string[], depth: number, path: string[], out: Match[]) {
  if (!isContainer(node)) return
  const step = src[depth]!
  if (depth === src.length - 1) {
    if (hasChild(node, step)) out.push({ path: [...path, step], parent: node, key: step })
    return
  }
  if (step === WILDCARD) {
    for (const [key, child] of childEntries(node))
      collect(child, src, depth + 1, [...path, key], out)
  } else if (hasChild(node, step)) {
    collect(readChild(node, step), src, depth + 1, [...path, step], out)
  }
}

function resolveTarget(dst: string[], matched: string[]): string[] {
  return dst.map((step, index) =>
    step === WILDCARD && index < matched.length ? matched[index]! : step,
  )
}

function sameParent(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false
  return true
}

/** Deletes what a path names; a path through a value that is not a container does nothing. */
function remove(node: unknown, path: string[], depth: number, holed: Set<unknown[]>): void {
  if (!isContainer(node)) return
  const step = path[depth]!
  const last = depth === path.length - 1
  if (step === WILDCARD) {
    for (const [key, child] of childEntries(node)) {
      if (last) deleteChild(node, key, holed)
      else remove(child, path, depth + 1, holed)
    }
    return
  }
  if (!hasChild(node, step)) return
  if (last) deleteChild(node, step, holed)
  else remove(readChild(node, step), path, depth + 1, holed)
}

/** Reads a path as krakend/flatmap's Get does: a `*` step returns an array of its matches. */
function readPath(node: unknown, path: string[], depth: number): unknown {
  if (depth === path.length) return node
  if (!isContainer(node)) return undefined
  const step = path[depth]!
  if (step === WILDCARD) {
    return childEntries(node).map(([, child]) => readPath(child, path, depth + 1) ?? null)
  }
  return hasChild(node, step) ? readPath(readChild(node, step), path, depth + 1) : undefined
}

/** Writes a value at a concrete path, replacing missing or non-container parents with objects. */
function writePath(root: Data, path: string[], value: unknown): void {
  let node: Container = root
  for (const step of path.slice(0, -1)) {
    const child: unknown = hasChild(node, step) ? readChild(node, step) : undefined
    if (isContainer(child)) {
      node = child
    } else {
      const created: Data = {}
      writeChild(node, step, created)
      node = created
    }
  }
  writeChild(node, path[path.length - 1]!, value)
}

// Renames a key in place, so that the object keeps its key order.
function renameKey(parent: Data, from: string, to: string, value: unknown): void {
  if (from === to) return
  const entries = Object.entries(parent).filter(([key]) => key !== to)
  for (const key of Object.keys(parent)) delete parent[key]
  for (const [key, child] of entries) {
    if (key === from) parent[to] = value
    else parent[key] = child
  }
}

function isContainer(value: unknown): value is Container {
  return Array.isArray(value) || isJsonObject(value)
}

function childEntries(node: Container): [string, unknown][] {
  if (!Array.isArray(node)) return Object.entries(node)
  const entries: [string, unknown][] = []
  node.forEach((item, index) => {
    if (item !== HOLE) entries.push([String(index), item])
  })
  return entries
}

function hasChild(node: Container, key: string): boolean {
  if (!Array.isArray(node)) return Object.hasOwn(node, key)
  const index = arrayIndex(key)
  return index !== undefined && index < node.length && node[index] !== HOLE
}

function readChild(node: Container, key: string): unknown {
  return Array.isArray(node) ? node[Number(key)] : node[key]
}

function writeChild(node: Container, key: string, value: unknown): void {
  if (!Array.isArray(node)) {
    node[key] = value
    return
  }
  // An array takes an item at an existing index, or after its last item; other keys are ignored.
  const index = arrayIndex(key)
  if (index === undefined) return
  if (index < node.length) node[index] = value
  else node.push(value)
}

function deleteChild(node: Container, key: string, holed: Set<unknown[]>): void {
  if (!Array.isArray(node)) {
    delete node[key]
    return
  }
  node[Number(key)] = HOLE
  holed.add(node)
}

function arrayIndex(key: string): number | undefined {
  return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : undefined
}

function withoutHoles(array: unknown[]): unknown[] {
  return array.filter((item) => item !== HOLE)
}

function compact(array: unknown[]): void {
  let length = 0
  for (const item of array) if (item !== HOLE) array[length++] = item
  array.length = length
}
