import { parseArgs } from 'node:util'
import { parseTree } from 'jsonc-parser'
import { ConfigError, parseConfigText, readConfigFile, type LoadedConfig } from './config/load.ts'
import { formatPath, formatProblem, locate, type ConfigProblem } from './config/problems.ts'
import { DEFAULT_MIN_TIMEOUT_MS, lintService } from './config/lint.ts'
import { parseDuration } from './config/duration.ts'

// `bun run check`: validates a config the way the gateway loads it, without starting anything,
// in the manner of `krakend check`. Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage.

const HELP = `Usage: npm run check -- [options] [PATH]   (or: bun run check [options] [PATH])

Validates a KrakenD-style config (version 3) without starting the gateway. Prints every error
and warning with its file, line, column and JSON path. Exits with 0 when the config is valid
(warnings allowed), 1 when it is not, and 2 on a usage error.

Options:
  -c, --config PATH       config file (default: config/krakend.json); PATH may also be given
                          without the flag
  -l, --lint              also warn about valid but risky settings: hedged POST or PATCH,
                          timeouts below --min-timeout, endpoints without a timeout
      --min-timeout DUR   lowest timeout --lint accepts, as a duration such as 250ms
                          (default: ${DEFAULT_MIN_TIMEOUT_MS}ms)
  -h, --help              show this help
`

export interface CheckOptions {
  file: string
  lint: boolean
  minTimeoutMs?: number
}

export interface CheckReport {
  valid: boolean
  problems: ConfigProblem[]
  endpoints: number
  /** --lint was asked for but could not run, because the config has errors. */
  lintSkipped?: boolean
}

/** Loads a config and, with `lint`, adds the lint warnings. A bad config gives `valid: false`. */
export function checkConfig(options: CheckOptions): CheckReport {
  let text: string
  let loaded: LoadedConfig
  try {
    text = readConfigFile(options.file)
    loaded = parseConfigText(text, options.file)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return { valid: false, problems: error.problems, endpoints: 0, lintSkipped: options.lint }
  }
  const problems = [...loaded.warnings]
  if (options.lint) {
    problems.push(...lintProblems(text, loaded, options.minTimeoutMs))
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  }
  return { valid: true, problems, endpoints: loaded.config.endpoints?.length ?? 0 }
}

// Lint findings carry path segments; the text is parsed once more to give them line and column.
function lintProblems(text: string, loaded: LoadedConfig, minTimeoutMs?: number): ConfigProblem[] {
  const tree = parseTree(text)
  return lintService(loaded.config, { minTimeoutMs }).map((finding) => ({
    severity: finding.severity,
    file: loaded.file,
    path: formatPath(finding.path),
    ...locate(text, tree, finding.path),
    message: finding.message,
  }))
}

/** Renders a report as `bun run check` prints it. */
export function formatReport(file: string, report: CheckReport): string {
  const lines = [`Parsing configuration file: ${file}`]
  for (const problem of report.problems) lines.push(formatProblem(problem))
  const errors = report.problems.filter((problem) => problem.severity === 'error').length
  const warnings = report.problems.length - errors
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`
  if (report.valid) lines.push(`Syntax OK! ${plural(report.endpoints, 'endpoint')}; ${counts}`)
  else lines.push(`ERROR parsing the configuration file: ${counts}`)
  // The lint rules read a valid config, so they run only once the errors are fixed.
  if (report.lintSkipped) lines.push('Lint skipped: fix the errors above, then run --lint again.')
  return `${lines.join('\n')}\n`
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function usageError(message: string): never {
  process.stderr.write(`error: ${message}\nRun with --help for usage.\n`)
  process.exit(2)
}

function main(): void {
  let parsed
  try {
    parsed = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        lint: { type: 'boolean', short: 'l' },
        'min-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    usageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  if (positionals.length > 1 || (positionals.length === 1 && values.config !== undefined)) {
    usageError('give one config file, either as --config PATH or as PATH')
  }
  const file = values.config ?? positionals[0] ?? 'config/krakend.json'
  const minTimeout = values['min-timeout']
  const minTimeoutMs = minTimeout === undefined ? undefined : parseDuration(minTimeout)
  if (minTimeout !== undefined && minTimeoutMs === undefined) {
    usageError(`--min-timeout must be a duration such as 250ms or 1s; got '${minTimeout}'`)
  }

  const report = checkConfig({ file, lint: values.lint ?? false, minTimeoutMs })
  process.stdout.write(formatReport(file, report))
  process.exit(report.valid ? 0 : 1)
}

if (import.meta.main) main()
