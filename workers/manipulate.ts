import type { BackendPlan } from '../src/plan.ts'
import type { Data } from './decode.ts'

// Per-backend response manipulation in KrakenD's order: target, then allow or deny, then
// mapping, then group. Each step returns a new object or mutates one that the decoder created
// for this response only, so no shared data is ever changed.

export function manipulate(data: Data, plan: BackendPlan): Data {
  let result = data
  if (plan.target) result = extractTarget(result, plan.target)
  if (plan.allow) result = allowPaths(result, plan.allow)
  else if (plan.deny) denyPaths(result, plan.deny)
  if (plan.mapping) result = renameKeys(result, plan.mapping)
  if (plan.group) result = { [plan.group]: result }
  return result
}

/** Replaces the body with the object at a dot path; a missing or non-object step gives {}. */
export function extractTarget(data: Data, path: readonly string[]): Data {
  let node: unknown = data
  for (const key of path) {
    if (!isObject(node)) return {}
    node = node[key]
  }
  return isObject(node) ? node : {}
}

/**
 * Keeps only the listed dot paths. A listed leaf keeps its whole subtree; a path that goes below
 * a non-object drops that value; objects emptied by pruning are dropped. Paths do not enter arrays.
 */
export function allowPaths(data: Data, paths: readonly (readonly string[])[]): Data {
  const result: Data = {}
  for (const path of paths) copyPath(data, result, path, 0)
  return result
}

function copyPath(source: Data, target: Data, path: readonly string[], depth: number): void {
  const key = path[depth]!
  if (!(key in source)) return
  const value = source[key]
  if (depth === path.length - 1) {
    target[key] = value
    return
  }
  if (!isObject(value)) return
  const child = isObject(target[key]) ? (target[key] as Data) : {}
  copyPath(value, child, path, depth + 1)
  if (Object.keys(child).length > 0) target[key] = child
}

/** Deletes the listed dot paths where every parent is an object; other paths are ignored. */
export function denyPaths(data: Data, paths: readonly (readonly string[])[]): void {
  for (const path of paths) {
    let node: unknown = data
    for (let depth = 0; depth < path.length - 1 && isObject(node); depth++)
      node = node[path[depth]!]
    if (isObject(node)) delete node[path[path.length - 1]!]
  }
}

/**
 * Renames top-level keys. A dotted source never matches (it is looked up literally), and a dotted
 * target is cut at its first dot, as in KrakenD.
 */
export function renameKeys(data: Data, mapping: readonly [string, string][]): Data {
  for (const [from, to] of mapping) {
    if (!(from in data)) continue
    const name = to.split('.')[0]!
    const value = data[from]
    delete data[from]
    data[name] = value
  }
  return data
}

function isObject(value: unknown): value is Data {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
