import type { BackendPlan } from '../src/plan.ts'
import type { Data } from './decode.ts'
import type { Failure } from './race.ts'

// `extra_config["backend/http"].return_error_details: "<name>"`: a backend that responds with a
// status other than 200 or 201 contributes {"error_<name>": {...}} to the response instead of
// failing it. KrakenD builds this object after the response manipulation, so it is never
// targeted, filtered, mapped or grouped, and it marks the response incomplete.

/**
 * Builds the error details data from a race that had no winner, or returns null when the backend
 * does not set return_error_details or no attempt got an HTTP response. As in KrakenD's
 * concurrent calls, the details of the last attempt that got one are used.
 */
export function errorDetailsData(plan: BackendPlan, failures: readonly Failure[]): Data | null {
  if (plan.returnErrorDetails === null) return null
  const failure = failures.findLast((candidate) => candidate.kind === 'status')
  if (!failure) return null

  // Go's encoding/json omits an empty body and an empty content type (omitempty).
  const details: Data = { http_status_code: failure.status }
  if (failure.body) details.http_body = failure.body
  if (failure.contentType) details.http_body_encoding = failure.contentType
  return { [`error_${plan.returnErrorDetails}`]: details }
}
