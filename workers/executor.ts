import type { EndpointPlan } from '../src/plan.ts'
import type { PlanSet, Task, TaskResult } from '../src/messages.ts'
import { Field } from '../src/stats-layout.ts'
import type { HttpClient } from './http-client.ts'
import type { StatsWriter } from './stats-writer.ts'
import { BackendCall, type BackendOutcome } from './backend-call.ts'
import { respond, unrenderableResponse, type EndpointResponse } from './respond.ts'
import { runSequential } from './sequential.ts'
import type { TaskObserver, TaskObserverFactory } from './task-observer.ts'
import { logServerError } from './failure-log.ts'

// Runs tasks against the plans of one or more config generations. The same code runs inside a
// worker thread and, with --workers 0, on the main thread.

export const TIMEOUT_REASON = 'endpoint timeout'

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
      const outcomes = plan.sequential
        ? await runSequential(this.backends, task, controller.signal, observer)
        : await Promise.all(
            this.backends.map((backend) => backend.run(task, controller.signal, observer)),
          )
      const response = respondSafely(plan, outcomes, task.accept ?? '')
      if (response.partial) stats.add(plan.statsSlot, Field.partial)
      result = response.result
      if (result.status >= 500) {
        // A sequential chain leaves only trailing entries undefined, so the indexes stay right.
        const ran = outcomes.filter((outcome): outcome is BackendOutcome => outcome !== undefined)
        logServerError(plan, ran, result.status)
      }
    } catch (error) {
      // A defect: the front responds with 500 TG_INTERNAL, and the stats still count a response.
      stats.response(plan.statsSlot, 500)
      throw error
    } finally {
      clearTimeout(timer)
    }

    stats.response(plan.statsSlot, result.status)
    stats.latency(plan.statsSlot, performance.now() - startedAt)
    return result
  }
}

// JSON.stringify, the XML and the YAML writers recurse, so data nested tens of thousands of
// levels deep (which JSON.parse accepts) overflows the stack when rendered. That is the
// backend's data at fault, so the client gets a 502 like any other undecodable response.
function respondSafely(
  plan: EndpointPlan,
  outcomes: Parameters<typeof respond>[1],
  accept: string,
): EndpointResponse {
  try {
    return respond(plan, outcomes, accept)
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    return { result: unrenderableResponse(plan, error), partial: false }
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
