import { findNodeAtLocation, type Node } from 'jsonc-parser'

/** One finding about a config file: an error stops loading it, a warning does not. */
export interface ConfigProblem {
  severity: 'error' | 'warning'
  file: string
  /** JSON path such as `endpoints[0].backend[1].url_pattern`; empty for the whole file. */
  path: string
  line?: number
  column?: number
  message: string
}

export type PathSegment = string | number

/** Formats path segments as a JSON path: `endpoints[0].extra_config["backend/http"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = ''
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_$@][\w$@-]*$/.test(segment)) out += out ? `.${segment}` : segment
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** Splits a TypeBox error path (a JSON pointer) into segments, with array indexes as numbers. */
export function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
}

/** Finds line and column (1-based) of the value at a path, for messages that point into the file. */
export function locate(
  text: string,
  tree: Node | undefined,
  segments: readonly PathSegment[],
): { line: number; column: number } | undefined {
  if (!tree) return undefined
  let node = findNodeAtLocation(tree, segments as PathSegment[])
  // An unexpected key has no value node of its own in the schema's view; point at the key.
  if (!node && segments.length > 0) {
    const parent = findNodeAtLocation(tree, segments.slice(0, -1) as PathSegment[])
    const key = segments[segments.length - 1]
    node = parent?.children?.find((child) => child.children?.[0]?.value === key)
  }
  // A missing key has no position of its own; point at the closest object that exists.
  for (let depth = segments.length - 1; !node && depth >= 0; depth--) {
    node = findNodeAtLocation(tree, segments.slice(0, depth) as PathSegment[])
  }
  if (!node) return undefined
  const offset = node.parent?.type === 'property' ? node.parent.offset : node.offset
  return offsetToLineColumn(text, offset)
}

export function offsetToLineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** Renders a problem as one line: `file:line:column: error: path: message`. */
export function formatProblem(problem: ConfigProblem): string {
  const position = problem.line ? `:${problem.line}:${problem.column}` : ''
  const path = problem.path ? `${problem.path}: ` : ''
  return `${problem.file}${position}: ${problem.severity}: ${path}${problem.message}`
}
