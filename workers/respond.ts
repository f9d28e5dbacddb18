import type { EndpointPlan } from '../src/plan.ts'
import type { TaskResult } from '../src/messages.ts'
import { ErrorCode, type ErrorInfo } from '../src/errors.ts'
import type { BackendOutcome } from './backend-call.ts'
import type { Failure } from './race.ts'
import { applyFlatmap } from './flatmap.ts'
import { mergeOutcomes } from './merge.ts'
import { applyStatic } from './static-data.ts'
import { renderData } from './render.ts'
import type { RawJson } from './passthrough.ts'

// From backend outcomes to the client's response, in KrakenD's order: merge, endpoint-level
// flatmap, static data, render. The status rules follow KrakenD's router (lura
// router/gin/endpoint.go) except when no backend produced a response. KrakenD then responds
// with 500 and an empty body, Tailgate with 502 (504 when the endpoint timed out) and a JSON
// error body that lists what failed.

export const COMPLETED_HEADER = 'x-krakend-completed'
const TEXT_TYPE = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'

export interface EndpointResponse {
  result: TaskResult
  /** Some backends returned data, but not all of them complete data; the stats count it. */
  partial: boolean
}

/** Builds the response for an endpoint from its backends' outcomes (undefined: did not run). */
export function respond(
  plan: EndpointPlan,
  outcomes: readonly (BackendOutcome | undefined)[],
  accept: string,
): EndpointResponse {
  const first = outcomes[0]
  if (plan.outputEncoding === 'no-op' && first?.ok && first.raw) {
    const headers: [string, string][] = [...first.raw.headers, [COMPLETED_HEADER, 'false']]
    return { result: { ...first.raw, headers }, partial: false }
  }

  if (first?.ok && first.rawJson) return relayedResponse(plan, first.rawJson)

  let result = mergeOutcomes(outcomes)
  // NOTE: KrakenD skips the endpoint flatmap when a backend failed, so a partial response keeps
  // the unflattened shape; Tailgate flattens whatever data there is.
  if (plan.flatmap && result.data) applyFlatmap(result.data, plan.flatmap)
  result = applyStatic(plan.static, result)
  if (!result.responded) return { result: failureResponse(plan, outcomes), partial: false }

  const completed = result.complete && result.data !== null && Object.keys(result.data).length > 0
  const rendered = renderData(result.data, plan.outputEncoding, accept)
  const headers: [string, string][] = [
    ['content-type', rendered.contentType],
    [COMPLETED_HEADER, String(completed)],
  ]
  if (completed && plan.cacheTtlSeconds > 0) {
    headers.push(['cache-control', `public, max-age=${plan.cacheTtlSeconds}`])
  }
  return { result: { status: 200, headers, body: rendered.body }, partial: !result.complete }
}

// One backend whose JSON text is relayed as it came (workers/passthrough.ts).
function relayedResponse(plan: EndpointPlan, raw: RawJson): EndpointResponse {
  const completed = !raw.empty
  const headers: [string, string][] = [
    ['content-type', JSON_TYPE],
    [COMPLETED_HEADER, String(completed)],
  ]
  if (completed && plan.cacheTtlSeconds > 0) {
    headers.push(['cache-control', `public, max-age=${plan.cacheTtlSeconds}`])
  }
  return { result: { status: 200, headers, body: raw.text }, partial: false }
}

// No backend produced a response: 504 when the deadline cut them off, 502 otherwise, or the
// backend's own status with return_error_code on a single backend. The JSON body lists what
// failed; with the router's return_error_msg the backend's body is relayed instead.
function failureResponse(
  plan: EndpointPlan,
  outcomes: readonly (BackendOutcome | undefined)[],
): TaskResult {
  const ran = outcomes.filter((outcome) => outcome !== undefined)
  const failures = outcomes.flatMap((outcome, backend) =>
    outcome && !outcome.ok
      ? outcome.failures.map((failure) => describeFailure(failure, backend))
      : [],
  )
  const timedOut = ran.every(
    (outcome) => !outcome.ok && outcome.failures.some((f) => f.kind === 'timeout'),
  )
  const relayed = relayedFailure(plan, outcomes)
  if (relayed?.status !== undefined && plan.returnErrorMsg) {
    return {
      status: relayed.status,
      headers: [
        ['content-type', relayed.contentType ?? TEXT_TYPE],
        [COMPLETED_HEADER, 'false'],
      ],
      body: relayed.body ?? '',
    }
  }

  const error: ErrorInfo = {
    code: timedOut ? ErrorCode.BACKEND_TIMEOUT : ErrorCode.BACKEND_FAILED,
    message: timedOut
      ? `${plan.key} timed out after ${plan.timeoutMs} ms before any backend answered successfully`
      : `${plan.key} failed: no backend answered successfully`,
    details: { endpoint: plan.key, failures },
  }
  return jsonError(relayed?.status ?? (timedOut ? 504 : 502), error)
}

/** Builds the 502 for backend data that decoded but cannot be rendered, such as too deep a nesting. */
export function unrenderableResponse(plan: EndpointPlan, cause: Error): TaskResult {
  return jsonError(502, {
    code: ErrorCode.BACKEND_FAILED,
    message: `${plan.key} failed: the backend data could not be encoded (${cause.message})`,
    details: { endpoint: plan.key },
  })
}

function jsonError(status: number, error: ErrorInfo): TaskResult {
  return {
    status,
    headers: [
      ['content-type', JSON_TYPE],
      [COMPLETED_HEADER, 'false'],
    ],
    body: JSON.stringify({ error }),
  }
}

// With return_error_code on a single backend, the status failure of its last attempt that got
// an HTTP response is passed on to the client, as KrakenD does.
function relayedFailure(
  plan: EndpointPlan,
  outcomes: readonly (BackendOutcome | undefined)[],
): Failure | undefined {
  const only = outcomes[0]
  if (plan.backends.length !== 1 || !plan.backends[0]!.returnErrorCode || !only || only.ok) {
    return undefined
  }
  return only.failures.findLast((failure) => failure.status !== undefined)
}

function describeFailure(failure: Failure, backend: number) {
  return {
    backend,
    attempt: failure.attempt,
    kind: failure.kind,
    host: failure.host,
    status: failure.status,
    message: failure.message,
  }
}
