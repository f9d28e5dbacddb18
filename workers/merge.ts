import type { BackendOutcome } from './backend-call.ts'
import type { Data } from './decode.ts'

/** The combined result of an endpoint's backends, before the endpoint-level steps. */
export interface MergeResult {
  /** At least one backend produced a response; false means the endpoint failed. */
  responded: boolean
  /** The merged data; null only when a single backend returned a JSON `null`. */
  data: Data | null
  /** Every backend ran and succeeded with data, and none returned error details. */
  complete: boolean
  /** At least one backend failed. */
  errored: boolean
}

/**
 * Merges backend results shallowly, in config order: each backend's top-level keys are copied
 * over the earlier ones, so on a key collision the later backend in the config wins. KrakenD
 * merges in arrival order instead, which makes collisions depend on timing. An entry left
 * undefined is a backend that did not run (a sequential chain that stopped early).
 *
 * @example mergeOutcomes([{ ok: true, data: { a: 1 } }, { ok: true, data: { b: 2 } }])
 * // { responded: true, data: { a: 1, b: 2 }, complete: true, errored: false }
 */
export function mergeOutcomes(outcomes: readonly (BackendOutcome | undefined)[]): MergeResult {
  if (outcomes.length === 1) {
    const only = outcomes[0]
    if (!only?.ok) return { responded: false, data: null, complete: false, errored: true }
    return { responded: true, data: only.data, complete: !only.incomplete, errored: false }
  }

  let responded = false
  let complete = true
  let errored = false
  const data: Data = {}
  for (const outcome of outcomes) {
    if (!outcome?.ok) {
      complete = false
      errored ||= outcome !== undefined
      continue
    }
    responded = true
    if (outcome.data === null || outcome.incomplete) complete = false
    if (outcome.data !== null) copyKeys(outcome.data, data)
  }
  return responded
    ? { responded, data, complete, errored }
    : { responded, data: null, complete: false, errored }
}

// JSON.parse creates a key named "__proto__" as an ordinary own key. Object.assign would run the
// __proto__ setter for it and so drop it, while defineProperty keeps it.
function copyKeys(source: Data, target: Data): void {
  for (const key of Object.keys(source)) {
    if (key === '__proto__') {
      Object.defineProperty(target, key, {
        value: source[key],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else {
      target[key] = source[key]
    }
  }
}
