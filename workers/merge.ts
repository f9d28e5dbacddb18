import type { BackendOutcome } from './backend-call.ts'
import type { Data } from './decode.ts'

export interface MergeResult {
  data: Data
  /** True when every backend succeeded with data. */
  complete: boolean
  anySucceeded: boolean
}

/**
 * Merges backend results shallowly, in config order: each backend's top-level keys are copied
 * over the earlier ones, so on a key collision the later backend in the config wins. KrakenD
 * merges in arrival order instead, which makes collisions depend on timing.
 */
export function mergeOutcomes(outcomes: readonly BackendOutcome[]): MergeResult {
  if (outcomes.length === 1) {
    const only = outcomes[0]!
    if (!only.ok) return { data: {}, complete: false, anySucceeded: false }
    return { data: only.data ?? {}, complete: only.data !== null, anySucceeded: true }
  }
  const data: Data = {}
  let complete = true
  let anySucceeded = false
  for (const outcome of outcomes) {
    if (!outcome.ok || outcome.data === null) {
      complete = false
      anySucceeded ||= outcome.ok
      continue
    }
    anySucceeded = true
    Object.assign(data, outcome.data)
  }
  return { data, complete, anySucceeded }
}
