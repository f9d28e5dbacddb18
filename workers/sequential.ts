import type { Task } from '../src/messages.ts'
import type { BackendCall, BackendOutcome } from './backend-call.ts'
import type { Data } from './decode.ts'
import type { TaskObserver } from './task-observer.ts'

// `extra_config.proxy.sequential`: the backends run one after another in config order, and a
// backend's url_pattern may use `{resp<N>_<path>}` from backend N's manipulated data (lura
// proxy/merging.go, sequentialMerge). The chain stops at the first backend that fails or returns
// incomplete data (error details); the backends after it do not run.

/**
 * Runs the backends in order and returns their outcomes by index; an entry is undefined for a
 * backend that did not run.
 */
export async function runSequential(
  backends: readonly BackendCall[],
  task: Task,
  signal: AbortSignal,
  observer: TaskObserver | null = null,
): Promise<(BackendOutcome | undefined)[]> {
  const outcomes: (BackendOutcome | undefined)[] = new Array(backends.length).fill(undefined)
  const responses: (Data | null)[] = []
  for (const [index, backend] of backends.entries()) {
    const outcome = await backend.run(task, signal, observer, responses)
    outcomes[index] = outcome
    if (!outcome.ok || outcome.incomplete) break
    responses[index] = outcome.data
  }
  return outcomes
}
