import type { EndpointPlan } from '../src/plan.ts'
import type { PlanSet, Task, TaskResult } from '../src/messages.ts'
import { ErrorCode, type ErrorInfo } from '../src/errors.ts'
import { Field } from '../src/stats-layout.ts'
import type { HttpClient } from './http-client.ts'
import type { StatsWriter } from './stats-writer.ts'
import { BackendCall, type BackendOutcome } from './backend-call.ts'
import type { Failure } from './race.ts'
import { mergeOutcomes } from './merge.ts'
import { renderData } from './render.ts'
import type { TaskObserver, TaskObserverFactory } from './task-observer.ts'
import { logServerError } from './failure-log.ts'

// Runs tasks against the plans of one or more config generations. The same code runs inside a
// worker thread and, with --workers 0, on the main thread.

export const TIMEOUT_REASON = 'endpoint timeout'
const COMPLETED_HEADER = 'x-krakend-completed'

class CompiledEndpoint {
  readonly backends: BackendCall[]

  constructor(
    readonly plan: EndpointPlan,
    http: HttpClient,
    private readonly stats: StatsWriter,
  ) {
    this.backends = plan.backends.map((backend) => new BackendCall(backend, plan, http, stats))
  }

  async run(task: Task, observer: TaskObserver | null): Promise<TaskResult> {
    const { plan, stats } = this
    const startedAt = performance.now()
    stats.add(plan.statsSlot, Field.requests)

    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(TIMEOUT_REASON), plan.timeoutMs)
    let result: TaskResult
    try {
      const outcomes = await Promise.all(
        this.backends.map((backend) => backend.run(task, controller.signal, observer)),
      )
      result = this.respond(outcomes)
      if (result.status >= 500) logServerError(plan, outcomes, result.status)
    } finally {
      clearTimeout(timer)
    }

    stats.response(plan.statsSlot, result.status)
    stats.latency(plan.statsSlot, performance.now() - startedAt)
    return result
  }

  private respond(outcomes: BackendOutcome[]): TaskResult {
    const { plan } = this
    const first = outcomes[0]!
    if (plan.outputEncoding === 'no-op' && first.ok && first.raw) {
      return { ...first.raw, headers: [...first.raw.headers, [COMPLETED_HEADER, 'false']] }
    }
    const merged = mergeOutcomes(outcomes)
    if (!merged.anySucceeded) return this.failure(outcomes)
    if (!merged.complete) this.stats.add(plan.statsSlot, Field.partial)

    const completed = merged.complete && Object.keys(merged.data).length > 0
    const rendered = renderData(merged.data, plan.outputEncoding)
    const headers: [string, string][] = [
      ['content-type', rendered.contentType],
      [COMPLETED_HEADER, String(completed)],
    ]
    if (completed && plan.cacheTtlSeconds > 0) {
      headers.push(['cache-control', `public, max-age=${plan.cacheTtlSeconds}`])
    }
    return { status: 200, headers, body: rendered.body }
  }

  // Every backend failed: 504 when the deadline cut them off, 502 otherwise, or the backend's own
  // status with return_error_code on a single backend. The JSON body lists what failed.
  private failure(outcomes: BackendOutcome[]): TaskResult {
    const { plan } = this
    const failures = outcomes.flatMap((outcome, backend) =>
      outcome.ok ? [] : outcome.failures.map((failure) => describeFailure(failure, backend)),
    )
    const timedOut = outcomes.every(
      (outcome) => !outcome.ok && outcome.failures.some((f) => f.kind === 'timeout'),
    )
    let status = timedOut ? 504 : 502
    const lastStatus = [...failures]
      .reverse()
      .find((failure) => failure.status !== undefined)?.status
    if (plan.backends.length === 1 && plan.backends[0]!.returnErrorCode && lastStatus)
      status = lastStatus

    const error: ErrorInfo = {
      code: timedOut ? ErrorCode.BACKEND_TIMEOUT : ErrorCode.BACKEND_FAILED,
      message: timedOut
        ? `${plan.key} timed out after ${plan.timeoutMs} ms before any backend answered successfully`
        : `${plan.key} failed: no backend answered successfully`,
      details: { endpoint: plan.key, failures },
    }
    return {
      status,
      headers: [
        ['content-type', 'application/json; charset=utf-8'],
        [COMPLETED_HEADER, 'false'],
      ],
      body: JSON.stringify({ error }),
    }
  }
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

/** Runs tasks for the plan generations it has been given. */
export class Executor {
  private readonly generations = new Map<number, CompiledEndpoint[]>()
  private latest = -1

  constructor(
    private readonly http: HttpClient,
    private readonly stats: StatsWriter,
    /** Set when tasks are traced; see workers/task-observer.ts. */
    private readonly observe?: TaskObserverFactory,
  ) {}

  /** Compiles a plan set; older generations are kept until `retire` so in-flight tasks finish. */
  load(planSet: PlanSet): void {
    const compiled = planSet.endpoints.map(
      (plan) => new CompiledEndpoint(plan, this.http, this.stats),
    )
    this.generations.set(planSet.generation, compiled)
    this.latest = Math.max(this.latest, planSet.generation)
  }

  /** Drops generations older than `generation`. */
  retire(generation: number): void {
    for (const key of this.generations.keys()) if (key < generation) this.generations.delete(key)
  }

  hasGeneration(generation: number): boolean {
    return this.generations.has(generation)
  }

  run(task: Task): Promise<TaskResult> {
    const endpoint = this.generations.get(task.generation)?.[task.endpoint]
    if (!endpoint) {
      return Promise.reject(
        new Error(
          `no plan for generation ${task.generation} endpoint ${task.endpoint}; latest is ${this.latest}`,
        ),
      )
    }
    return endpoint.run(task, this.observe ? this.observe(task, endpoint.plan) : null)
  }
}
