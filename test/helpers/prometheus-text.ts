// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests. It throws
// on any line that is neither a comment, a HELP or TYPE line, nor a well-formed sample. It also
// throws on a sample whose metric family has no TYPE line before it.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`)
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export function parsePrometheusText(text: string): Sample[] {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  text.split('\n').forEach((line, index) => {
    const fail = (reason: string) => {
      throw new Error(`line ${index + 1}: ${reason}: ${line}`)
    }
    if (line.trim() === '') return
    if (line.startsWith('#')) {
      const [, keyword, name, rest] = line.match(/^#\s*(\S+)\s*(\S*)\s*(.*)$/) ?? []
      if (keyword === 'TYPE') {
        if (!new RegExp(`^${NAME}$`).test(name ?? '')) fail('invalid metric name')
        if (!TYPES.has(rest ?? '')) fail('invalid type')
        types.set(name!, rest!)
      }
      return
    }
    const match = line.match(SAMPLE)
    if (!match) return fail('invalid sample')
    const [, name, labelText, valueText] = match
    const value = Number(valueText)
    if (Number.isNaN(value) && valueText !== 'NaN') fail('invalid value')
    if (!types.has(familyOf(name!, types))) fail('sample before its TYPE line')
    samples.push({ name: name!, labels: parseLabels(labelText ?? '', fail), value })
  })
  return samples
}

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length)
    if (name.endsWith(suffix) && types.get(base) === 'histogram') return base
  }
  return name
}

function parseLabels(text: string, fail: (reason: string) => never): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text)
    if (!match) fail('invalid labels')
    labels[match[1]!] = match[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
  }
  return labels
}

/** Sums the samples of `name` whose labels include every label in `where`. */
export function sumOf(samples: Sample[], name: string, where: Record<string, string> = {}) {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) => Object.entries(where).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0)
}
