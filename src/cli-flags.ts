// Flag parsing shared by the command-line entry points (gateway, demo).

/** Writes a usage error to stderr and exits with status 2. */
export function fail(message: string): never {
  process.stderr.write(`error: ${message}\nRun with --help for usage.\n`)
  process.exit(2)
}

/** Parses a whole number flag, or exits with a message naming the flag and the value. */
export function integerFlag(
  name: string,
  value: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (value.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`
    fail(`--${name} must be a whole number ${range}; got '${value}'`)
  }
  return number
}
