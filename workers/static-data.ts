import type { StaticPlan } from '../src/config/extra-config.ts'
import type { MergeResult } from './merge.ts'

// `extra_config.proxy.static`: fixed data copied over the endpoint's response, by strategy (lura
// proxy/static.go). It runs last, after the merge and the endpoint-level flatmap.

/** Tells whether the static data applies to a result under a strategy. */
export function staticMatches(plan: StaticPlan, result: MergeResult): boolean {
  switch (plan.strategy) {
    case 'success':
      return !result.errored
    case 'errored':
      return result.errored
    case 'complete':
      return !result.errored && result.responded && result.complete
    case 'incomplete':
      return !result.responded || !result.complete
    default:
      return true
  }
}

/**
 * Copies the static data's top-level keys over the result's data when the strategy matches. A
 * result without a response gets one, which is incomplete and keeps its error, so the client
 * receives the static data with status 200, as in KrakenD.
 */
export function applyStatic(plan: StaticPlan | null, result: MergeResult): MergeResult {
  if (!plan || !staticMatches(plan, result)) return result
  const data = { ...result.data, ...plan.data }
  return result.responded
    ? { ...result, data }
    : { responded: true, data, complete: false, errored: result.errored }
}
