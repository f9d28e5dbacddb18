import type { Node } from 'jsonc-parser'

// Checks of a config's JSON text that the parser does not make.

/**
 * Maximum depth of nested objects and arrays in a config file. The public KrakenD configs in
 * test/fixtures nest at most 10 levels, and 128 leaves room for `proxy.static` data. jsonc-parser
 * 3.3 overflows the call stack between 5,000 and 10,000 levels on Bun 1.4.5, and later steps,
 * such as freezing the config and merging static data in a worker, recurse as well.
 */
export const MAX_NESTING_DEPTH = 128

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/**
 * Returns the offset of the first `{` or `[` that opens level `max + 1`, or -1 when the text
 * nests no deeper than `max`. Brackets inside strings do not count. The scan is a loop, not a
 * recursion, so that it runs before the parser on any input.
 */
export function findExcessNesting(text: string, max = MAX_NESTING_DEPTH): number {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) {
      i = skipString(text, i)
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++
      if (depth > max) return i
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--
    }
  }
  return -1
}

// Returns the offset of the quote that closes the string opened at `start`, or the last offset.
function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === BACKSLASH) i++
    else if (code === QUOTE) return i
  }
  return text.length - 1
}

/** A key that appears twice in one object: JSON parsers keep only the last value. */
export interface DuplicateKey {
  /** Path of the key, as segments from the root. */
  path: (string | number)[]
  /** Offset of the later occurrence, which replaces the earlier value. */
  offset: number
  firstOffset: number
}

/** Lists every key that appears more than once in the same object of a parsed tree. */
export function findDuplicateKeys(tree: Node): DuplicateKey[] {
  const duplicates: DuplicateKey[] = []
  visit(tree, [], duplicates)
  return duplicates
}

// Recursion is safe here: findExcessNesting has bounded the depth before the parse.
function visit(node: Node, path: (string | number)[], duplicates: DuplicateKey[]): void {
  if (node.type === 'array') {
    node.children?.forEach((child, index) => visit(child, [...path, index], duplicates))
    return
  }
  if (node.type !== 'object') return

  const firstOffsets = new Map<string, number>()
  for (const property of node.children ?? []) {
    const [keyNode, value] = property.children ?? []
    if (!keyNode) continue
    const key = String(keyNode.value)
    const firstOffset = firstOffsets.get(key)
    if (firstOffset === undefined) {
      firstOffsets.set(key, keyNode.offset)
    } else {
      duplicates.push({ path: [...path, key], offset: keyNode.offset, firstOffset })
    }
    if (value) visit(value, [...path, key], duplicates)
  }
}
