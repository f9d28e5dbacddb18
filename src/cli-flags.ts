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
): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (value.trim() === '' || !Number.isInteger(number) || number < min) {
    fail(`--${name} must be a whole number ≥ ${min}; got '${value}'`)
  }
  return number
}
