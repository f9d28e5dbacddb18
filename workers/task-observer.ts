import type { BackendPlan, EndpointPlan } from '../src/plan.ts'
import type { Task } from '../src/messages.ts'
import type { AttemptOutcome, AttemptResult, Failure } from './race.ts'

// Events of a running task for an observer such as tracing (workers/tracing.ts). The executor and
// the backend calls only emit them, so that they import no tracing library. When no observer is
// set, a task creates no observer object and each event site is one null check.

/** Returns the observer of one task, or null to leave the task unobserved. */
export type TaskObserverFactory = (task: Task, endpoint: EndpointPlan) => TaskObserver | null

export interface TaskObserver {
  /** Called once per backend as its race begins. */
  backend(plan: BackendPlan): BackendObserver
}

/** The value of a successful attempt exposes the backend's status code. */
export interface AttemptStatus {
  status: number
}

export interface BackendObserver {
  /**
   * Wraps one attempt: `send` performs the request with the `init` it is given, to which the
   * observer may add headers (the attempt's traceparent).
   */
  attempt<T extends AttemptStatus>(
    index: number,
    url: string,
    init: RequestInit,
    send: (init: RequestInit) => Promise<AttemptResult<T>>,
  ): Promise<AttemptResult<T>>
  /** Called once per started attempt, when the race reports how it ended. */
  attemptEnd(index: number, outcome: AttemptOutcome): void
  /** Called when the race is decided; `winner` is the winning attempt index, or null. */
  end(winner: number | null, failures: Failure[]): void
}
