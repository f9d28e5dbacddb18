import type { BackendPlan, EndpointPlan } from '../src/plan.ts'
import type { Task } from '../src/messages.ts'
import { Field } from '../src/stats-layout.ts'
import type { HttpClient } from './http-client.ts'
import type { StatsWriter } from './stats-writer.ts'
import { decodeBody, DecodeError, type Data } from './decode.ts'
import { manipulate } from './manipulate.ts'
import { BodyTooLargeError, readBodyBytes, readBodyText } from './body-limit.ts'
import { passthroughFor, relayJson, type Passthrough, type RawJson } from './passthrough.ts'
import { connectionListed, HOP_BY_HOP } from '../src/hop-by-hop.ts'
import { race, LOSER_ABORT_REASON, type AttemptResult, type Failure } from './race.ts'
import { fillTemplate } from './url-template.ts'
import { errorDetailsData } from './error-details.ts'
import type { TaskObserver } from './task-observer.ts'
import { logAttemptFailures } from './failure-log.ts'

// One backend of an endpoint: builds its request from the task, races its attempts and turns
// the winning body into manipulated data.

/** Most bytes of a failed backend body kept for error details. */
const ERROR_BODY_LIMIT = 4096
const USER_AGENT = 'Tailgate'

/**
 * The result of a backend call: data for the merge, or a relayed no-op response, or failures.
 * `incomplete` marks data that reports a failure, such as return_error_details.
 */
export type BackendOutcome =
  | { ok: true; data: Data | null; raw?: RawResponse; incomplete?: boolean; rawJson?: RawJson }
  | { ok: false; failures: Failure[] }

export interface RawResponse {
  status: number
  headers: [string, string][]
  body: Uint8Array
}

type AttemptValue = { data: Data | null; raw?: RawResponse; status: number; rawJson?: RawJson }

export class BackendCall {
  private nextHost = 0

  private readonly passthrough: Passthrough | null

  constructor(
    readonly plan: BackendPlan,
    private readonly endpoint: EndpointPlan,
    private readonly http: HttpClient,
    private readonly stats: StatsWriter,
  ) {
    this.passthrough = passthroughFor(endpoint)
  }

  /** Runs the race; `responses` contains earlier backends' data in a sequential endpoint. */
  async run(
    task: Task,
    signal: AbortSignal,
    observer: TaskObserver | null = null,
    responses?: readonly (Data | null)[],
  ): Promise<BackendOutcome> {
    const { plan, endpoint, stats } = this
    const trace = observer?.backend(plan)
    const slot = plan.statsSlot
    let pathAndQuery: string
    try {
      pathAndQuery = this.buildPathAndQuery(task, responses)
    } catch (error) {
      if (!(error instanceof DotSegmentError)) throw error
      stats.add(slot, Field.requests)
      stats.add(slot, Field.failDecode)
      return { ok: false, failures: [{ kind: 'decode', message: error.message }] }
    }
    const init: RequestInit = {
      method: plan.method,
      headers: this.buildHeaders(task),
      body: task.body && plan.method !== 'GET' ? task.body : null,
      redirect: 'follow',
    }
    // Each race spreads its attempts over distinct hosts when the list has several.
    const firstHost = this.nextHost
    this.nextHost = (this.nextHost + 1) % plan.hosts.length

    stats.add(slot, Field.requests)
    // Set once an attempt has won, so that losers still read their bodies (which returns their
    // connections to the pool) but skip decoding them.
    const raceState = { decided: false }
    const result = await race<AttemptValue>(
      (index, attemptSignal) => {
        const url = plan.hosts[(firstHost + index) % plan.hosts.length]! + pathAndQuery
        const attemptInit = { ...init, signal: attemptSignal }
        if (trace) {
          return trace.attempt(index, url, attemptInit, (traced) =>
            this.attempt(url, traced, attemptSignal, raceState),
          )
        }
        return this.attempt(url, attemptInit, attemptSignal, raceState)
      },
      {
        attempts: endpoint.concurrentCalls,
        signal,
        loserDrainMs: endpoint.loserDrainMs,
        onAttemptStart: (index) => {
          stats.add(slot, Field.attempts)
          if (index > 0) stats.add(slot, Field.hedges)
        },
        onAttemptEnd: (index, outcome) => {
          if (outcome === 'won') raceState.decided = true
          if (outcome === 'aborted') stats.add(slot, Field.losersAborted)
          else if (outcome === 'drained') stats.add(slot, Field.losersDrained)
          trace?.attemptEnd(index, outcome)
        },
      },
    )
    trace?.end(result.winner?.index ?? null, result.failures)
    for (const failure of result.failures) stats.add(slot, FAILURE_FIELD[failure.kind])
    if (result.failures.length > 0) logAttemptFailures(endpoint, plan, result.failures)
    if (!result.winner) {
      const details = errorDetailsData(plan, result.failures)
      if (details) return { ok: true, data: details, incomplete: true }
      return { ok: false, failures: result.failures }
    }

    stats.win(slot, result.winner.index)
    stats.latency(slot, result.winner.latencyMs)
    const { data, raw, rawJson } = result.winner.value
    if (rawJson) return { ok: true, data: null, rawJson }
    return { ok: true, data: raw ? data : manipulate(data, plan), raw }
  }

  private async attempt(
    url: string,
    init: RequestInit,
    signal: AbortSignal,
    race: { decided: boolean },
  ): Promise<AttemptResult<AttemptValue>> {
    try {
      return await this.http.request(url, init, async (response) => {
        try {
          return await this.readAttempt(response, url, race)
        } catch (error) {
          if (!(error instanceof BodyTooLargeError)) throw error
          return {
            ok: false,
            failure: { kind: 'decode', message: error.message, host: originOf(url) },
          }
        }
      })
    } catch (error) {
      return { ok: false, failure: transportFailure(error, signal, url) }
    }
  }

  private async readAttempt(
    response: Response,
    url: string,
    race: { decided: boolean },
  ): Promise<AttemptResult<AttemptValue>> {
    const { plan } = this
    if (plan.encoding === 'no-op') {
      const raw = {
        status: response.status,
        headers: responseHeaders(response),
        body: await readBodyBytes(response),
      }
      // KrakenD gives a no-op backend empty data, which a merge counts as complete.
      return { ok: true, value: { data: {}, raw, status: response.status } }
    }
    const text = await readBodyText(response)
    if (race.decided) return LOST_RACE
    if (response.status !== 200 && response.status !== 201) {
      const relayed = plan.returnErrorCode || plan.returnErrorDetails !== null
      return { ok: false, failure: statusFailure(response, text, url, relayed) }
    }
    try {
      const rawJson = this.passthrough && relayJson(text, this.passthrough)
      if (rawJson) return { ok: true, value: { data: null, rawJson, status: response.status } }
      const data = decodeBody(text, plan.encoding, plan.isCollection)
      return { ok: true, value: { data, status: response.status } }
    } catch (error) {
      if (!(error instanceof DecodeError) && !(error instanceof SyntaxError)) throw error
      const message =
        error instanceof DecodeError
          ? error.message
          : `invalid JSON from backend: ${(error as SyntaxError).message}`
      return { ok: false, failure: { kind: 'decode', message, host: originOf(url) } }
    }
  }

  private buildPathAndQuery(task: Task, responses?: readonly (Data | null)[]): string {
    const { plan } = this
    let url = fillTemplate(plan.path, task.params, encodePathParam, responses)
    let query = fillTemplate(plan.query, task.params, encodeURIComponent, responses)
    const appended = appendedQuery(task.query, plan.inputQuery)
    if (appended) query += `${query ? '&' : ''}${appended}`
    if (query) url += `?${query}`
    return url
  }

  // A plain object, not a Headers instance: fetch takes either, and building a Headers object
  // cost about 6 µs of CPU per request in Bun 1.4.5. Names arrive lower-cased from the front.
  private buildHeaders(task: Task): Record<string, string> {
    // No prototype, so that client header names such as `constructor` are plain keys.
    const headers: Record<string, string> = Object.create(null)
    const allowed = this.plan.inputHeaders
    for (let i = 0; i < task.headers.length; i += 2) {
      const name = task.headers[i]!
      if (allowed && !allowed.includes(name)) continue
      const value = task.headers[i + 1]!
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    }
    headers['user-agent'] ??= USER_AGENT
    headers['x-forwarded-for'] = task.clientIp
    if (task.host) headers['x-forwarded-host'] = task.host
    return headers
  }
}

const FAILURE_FIELD: Record<Failure['kind'], number> = {
  status: Field.failStatus,
  network: Field.failNetwork,
  timeout: Field.failTimeout,
  decode: Field.failDecode,
  aborted: Field.losersAborted,
}

/** A value that would be a `.` or `..` path segment, which URL parsers resolve even escaped. */
export class DotSegmentError extends Error {
  override name = 'DotSegmentError'
}

/**
 * Percent-encodes a path parameter so that its value stays inside one path segment: `/`, `?`
 * and `#` are escaped. The dot segments `.` and `..` throw DotSegmentError. The front rejects
 * them in client parameters with a 400; here they can only come from an earlier backend's
 * response in a sequential endpoint, which then fails this backend.
 */
export function encodePathParam(value: string): string {
  if (value === '.' || value === '..') {
    throw new DotSegmentError(
      `value '${value}' from an earlier response would change the backend path; the call was not sent`,
    )
  }
  return encodeURIComponent(value)
}

/**
 * Encodes the client's allowed query pairs, sorted by name with each name's values in request
 * order, as KrakenD's url.Values.Encode does. They follow the url_pattern's own query.
 */
function appendedQuery(pairs: readonly string[], allowed: string[] | null): string {
  if (pairs.length === 0) return ''
  const selected: [string, string][] = []
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!
    if (!allowed || allowed.includes(name)) selected.push([name, pairs[i + 1]!])
  }
  // Array.prototype.sort is stable, so each name's values keep their request order.
  if (selected.length > 1) selected.sort(([a], [b]) => compareNames(a, b))
  return selected
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&')
}

function compareNames(a: string, b: string): number {
  if (a === b) return 0
  return a < b ? -1 : 1
}

// A body that the client may receive (return_error_code, return_error_details) is kept whole;
// otherwise only its start is kept for the error details.
function statusFailure(response: Response, text: string, url: string, relayed: boolean): Failure {
  return {
    kind: 'status',
    status: response.status,
    message: `backend returned status ${response.status}`,
    body: !relayed && text.length > ERROR_BODY_LIMIT ? text.slice(0, ERROR_BODY_LIMIT) : text,
    contentType: response.headers.get('content-type') ?? undefined,
    host: originOf(url),
  }
}

function transportFailure(error: unknown, signal: AbortSignal, url: string): Failure {
  const host = originOf(url)
  if (signal.aborted) {
    return signal.reason === LOSER_ABORT_REASON
      ? { kind: 'aborted', message: 'aborted after another attempt won', host }
      : { kind: 'timeout', message: 'endpoint timeout passed before the backend responded', host }
  }
  return { kind: 'network', message: `request failed: ${(error as Error).message ?? error}`, host }
}

// The result of a losing attempt whose body was read after the win; the race ignores it.
const LOST_RACE: AttemptResult<never> = {
  ok: false,
  failure: { kind: 'aborted', message: 'another attempt won before this body was decoded' },
}

const BODY_HEADERS = new Set(['content-length', 'content-encoding'])

function responseHeaders(response: Response): [string, string][] {
  const headers: [string, string][] = []
  // fetch has already decoded the body, so its length and encoding headers no longer apply.
  const listed = connectionListed(response.headers)
  response.headers.forEach((value, name) => {
    const relayed = !HOP_BY_HOP.has(name) && !BODY_HEADERS.has(name) && !listed.includes(name)
    if (relayed && name !== 'set-cookie') {
      headers.push([name, value])
    }
  })
  for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie])
  return headers
}

function originOf(url: string): string {
  const end = url.indexOf('/', url.indexOf('//') + 2)
  return end < 0 ? url : url.slice(0, end)
}
