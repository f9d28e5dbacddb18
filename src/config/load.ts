import { createHash } from 'node:crypto'
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type Node,
  type ParseError,
} from 'jsonc-parser'
import { Value } from '@sinclair/typebox/value'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { Service, type ServiceConfig } from './schema.ts'
import { checkService, type Finding } from './rules.ts'
import { findDuplicateKeys, findExcessNesting, MAX_NESTING_DEPTH } from './json-checks.ts'
import { FileRejectedError, MAX_CONFIG_BYTES, readRegularFile } from './read-file.ts'
import { NAMESPACE_ALIASES, UNSUPPORTED_KEYS } from './krakend-names.ts'
import {
  formatPath,
  formatProblem,
  locate,
  offsetToLineColumn,
  pointerToSegments,
  type ConfigProblem,
  type PathSegment,
} from './problems.ts'
import { ErrorCode, TailgateError } from '../errors.ts'

export interface LoadedConfig {
  file: string
  config: ServiceConfig
  /** sha256 of the file's bytes, for telling versions of the file apart. */
  hash: string
  warnings: ConfigProblem[]
}

/** A config that failed to load; `problems` lists every error and warning found. */
export class ConfigError extends TailgateError {
  readonly problems: ConfigProblem[]
  /** Hash of the file's text as in LoadedConfig; undefined when the file could not be read. */
  readonly hash?: string

  constructor(file: string, problems: ConfigProblem[], hash?: string) {
    const errors = problems.filter((problem) => problem.severity === 'error')
    super(
      ErrorCode.CONFIG_INVALID,
      `invalid config ${file}: ${errors.length} error(s)\n${errors.map(formatProblem).join('\n')}`,
    )
    this.problems = problems
    this.hash = hash
  }
}

/** Reads and validates a config file; throws ConfigError listing every problem found. */
export function loadConfigFile(file: string): LoadedConfig {
  return parseConfigText(readConfigFile(file), file)
}

/**
 * Reads the text of a config file, which must be a regular file (symlinks followed) of at most
 * 16 MiB; throws ConfigError otherwise or when it cannot be read.
 */
export function readConfigFile(file: string): string {
  try {
    return readRegularFile(file, MAX_CONFIG_BYTES)
  } catch (error) {
    const message =
      error instanceof FileRejectedError
        ? `cannot read the file: ${error.message}`
        : `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`
    throw new ConfigError(file, [{ severity: 'error', file, path: '', message }])
  }
}

/** Parses and validates config text; `file` names it in messages. */
export function parseConfigText(text: string, file: string): LoadedConfig {
  const hash = hashConfigText(text)
  const tooDeep = findExcessNesting(text)
  if (tooDeep >= 0) {
    throw new ConfigError(
      file,
      [
        {
          severity: 'error',
          file,
          path: '',
          ...offsetToLineColumn(text, tooDeep),
          message: `nesting too deep: objects and arrays may nest at most ${MAX_NESTING_DEPTH} levels`,
        },
      ],
      hash,
    )
  }
  const syntaxErrors: ParseError[] = []
  const tree = parseTree(text, syntaxErrors, { disallowComments: true, allowTrailingComma: false })
  if (syntaxErrors.length > 0 || !tree) {
    const problems: ConfigProblem[] = syntaxErrors.map((error) => ({
      severity: 'error',
      file,
      path: '',
      ...offsetToLineColumn(text, error.offset),
      message: `invalid JSON: ${describeSyntaxError(printParseErrorCode(error.error))}`,
    }))
    if (problems.length === 0) {
      problems.push({ severity: 'error', file, path: '', message: 'the file is empty' })
    }
    throw new ConfigError(file, problems, hash)
  }

  const value = getNodeValue(tree) as unknown
  const problems: ConfigProblem[] = []
  const problem = (
    severity: ConfigProblem['severity'],
    segments: (string | number)[],
    message: string,
  ) =>
    problems.push({
      severity,
      file,
      path: formatPath(segments),
      ...locate(text, tree, segments),
      message,
    })

  for (const duplicate of findDuplicateKeys(tree)) {
    const first = offsetToLineColumn(text, duplicate.firstOffset)
    const key = duplicate.path[duplicate.path.length - 1]
    problems.push({
      severity: 'error',
      file,
      path: formatPath(duplicate.path),
      ...offsetToLineColumn(text, duplicate.offset),
      message: `duplicate key "${key}"; it is first set at line ${first.line}, column ${first.column}, and a JSON parser keeps only the last value, so remove one of the two`,
    })
  }
  for (const error of Value.Errors(Service, value)) {
    const segments = pointerToSegments(error.path)
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      problem('warning', segments, describeUnknownKey(segments))
    } else {
      problem('error', segments, describeSchemaError(error, sourceText(text, tree, segments)))
    }
  }
  for (const finding of checkSemantics(value)) {
    problem(finding.severity, finding.path, finding.message)
  }
  problems.sort(byPosition)
  if (problems.some((p) => p.severity === 'error')) throw new ConfigError(file, problems, hash)

  return {
    file,
    config: deepFreeze(value as ServiceConfig),
    hash,
    warnings: problems,
  }
}

/** Returns the first 16 hex digits of the sha256 of a config text. */
export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

// Problems are listed in file order, as a reader goes through the file.
function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
}

function describeUnknownKey(segments: (string | number)[]): string {
  const key = String(segments[segments.length - 1])
  if (segments[segments.length - 2] === 'extra_config') {
    const alias = ownValue(NAMESPACE_ALIASES, key)
    const name = alias ? `"${key}" (${alias})` : `"${key}"`
    return `extra_config namespace ${name} is not supported by Tailgate and is ignored`
  }
  const reason = ownValue(UNSUPPORTED_KEYS, key)
  return reason
    ? `KrakenD setting "${key}" is not supported by Tailgate and is ignored: ${reason}`
    : `unknown key "${key}" is ignored`
}

// A config key can be any string, such as "constructor", which a plain lookup would find on
// Object.prototype.
function ownValue(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

// The semantic rules also run on a config that failed the schema, so that one pass reports every
// error. Where a schema error makes a rule meet a value of the wrong type, that rule's findings
// are skipped: the schema error already points there.
function checkSemantics(value: unknown): Finding[] {
  try {
    return checkService(value as ServiceConfig)
  } catch {
    return []
  }
}

// The text of the value at a path as written in the file.
function sourceText(text: string, tree: Node, segments: PathSegment[]): string | undefined {
  const node = findNodeAtLocation(tree, segments)
  return node && text.slice(node.offset, node.offset + node.length)
}

// `source` is the value as written, which shows a number such as 1e400 that JSON.parse turns
// into Infinity and JSON.stringify into null.
function describeSchemaError(error: ValueError, source: string | undefined): string {
  const value = error.value
  const got =
    typeof value === 'number' && !Number.isFinite(value)
      ? `got ${source ?? value}, which is out of range for a number`
      : `got ${JSON.stringify(value) ?? 'nothing'}`
  if (error.type === ValueErrorType.Union) {
    const literals = (error.schema.anyOf as { const?: unknown }[])
      .map((branch) => branch.const)
      .filter((value) => value !== undefined)
    if (literals.length > 0)
      return `must be one of ${literals.map((v) => JSON.stringify(v)).join(', ')}; ${got}`
    if (
      error.schema.anyOf.some((branch: { pattern?: string }) => branch.pattern?.includes('ms|s'))
    ) {
      return `must be a duration such as "2s" or "300ms"; ${got}`
    }
  }
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    return `required key is missing`
  }
  return `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}; ${got}`
}

function describeSyntaxError(code: string): string {
  // printParseErrorCode returns names such as "CommaExpected"; make them read as words.
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
