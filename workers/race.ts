// A race runs N identical attempts of one backend call and settles on the first success.
//
// The winner is returned the moment it succeeds. Losers are aborted so that they never delay the
// response nor hold a connection for long, but aborting an in-flight HTTP/1.1 request closes its
// socket, and under load that churn costs more than the tail it cuts. `loserDrainMs` lets a loser
// run for that long after the win, so that a loser which was about to complete returns its
// connection to the keep-alive pool. A loser still running when the window closes is aborted,
// and with 0 every loser is aborted at once.
//
// Attempts need not start together: `delaysMs` gives each one a start offset (a delayed hedge).
// When every started attempt has failed, the next delayed attempt starts at once instead of
// waiting out its delay.

export type FailureKind = 'status' | 'network' | 'timeout' | 'decode' | 'aborted'

export interface Failure {
  kind: FailureKind
  message: string
  /** Backend status code, for `status` failures. */
  status?: number
  /** Backend body and content type of a `status` failure, cut to a bounded size. */
  body?: string
  contentType?: string
  attempt?: number
  host?: string
}

export type AttemptResult<T> = { ok: true; value: T } | { ok: false; failure: Failure }

export interface RaceOptions {
  attempts: number
  /** Start offset of each attempt in milliseconds; missing entries start at once. */
  delaysMs?: readonly number[]
  /** Aborts every attempt still running, for example when the endpoint's deadline passes. */
  signal: AbortSignal
  loserDrainMs: number
  onAttemptStart?(index: number): void
  /** Called once per started attempt when it ends. */
  onAttemptEnd?(index: number, outcome: AttemptOutcome): void
}

/** The end of an attempt: the winner, a failure before any win, or a loser after the win. */
export type AttemptOutcome = 'won' | 'failed' | 'drained' | 'aborted'

export interface RaceResult<T> {
  winner: { index: number; value: T; latencyMs: number } | null
  /** Failures of attempts that ended before the race was decided, in the order they ended. */
  failures: Failure[]
}

export const LOSER_ABORT_REASON = 'attempt lost the race'

export function race<T>(
  run: (index: number, signal: AbortSignal) => Promise<AttemptResult<T>>,
  options: RaceOptions,
): Promise<RaceResult<T>> {
  if (options.attempts === 1 && !options.delaysMs?.[0] && !options.signal.aborted) {
    return runAlone(run, options)
  }
  return new Promise((resolve) => {
    const { attempts, signal } = options
    const controllers: (AbortController | undefined)[] = new Array(attempts)
    const startTimers: (ReturnType<typeof setTimeout> | undefined)[] = new Array(attempts)
    const ended: boolean[] = new Array(attempts).fill(false)
    const failures: Failure[] = []
    const startedAt = performance.now()
    let decided = false
    let started = 0

    const abortAll = () => {
      for (let index = 0; index < attempts; index++) {
        clearTimeout(startTimers[index])
        controllers[index]?.abort(signal.reason)
      }
    }

    const decide = (result: RaceResult<T>) => {
      decided = true
      signal.removeEventListener('abort', abortAll)
      resolve(result)
      stopLosers()
    }

    const stopLosers = () => {
      for (let index = 0; index < attempts; index++) {
        clearTimeout(startTimers[index])
        const controller = controllers[index]
        if (!controller || ended[index]) continue
        if (options.loserDrainMs > 0) {
          setTimeout(() => controller.abort(LOSER_ABORT_REASON), options.loserDrainMs)
        } else {
          controller.abort(LOSER_ABORT_REASON)
        }
      }
    }

    const end = (index: number, result: AttemptResult<T>) => {
      ended[index] = true
      if (decided) {
        const aborted = controllers[index]!.signal.aborted
        options.onAttemptEnd?.(index, aborted ? 'aborted' : 'drained')
        return
      }
      if (result.ok) {
        options.onAttemptEnd?.(index, 'won')
        decide({
          winner: { index, value: result.value, latencyMs: performance.now() - startedAt },
          failures,
        })
        return
      }
      failures.push({ ...result.failure, attempt: index })
      options.onAttemptEnd?.(index, 'failed')
      if (failures.length === attempts) {
        decide({ winner: null, failures })
      } else if (ended.every((done, i) => done || !controllers[i]) && started < attempts) {
        startNext()
      }
    }

    const start = (index: number) => {
      if (controllers[index] || decided) return
      clearTimeout(startTimers[index])
      const controller = new AbortController()
      controllers[index] = controller
      started++
      options.onAttemptStart?.(index)
      run(index, controller.signal).then(
        (result) => end(index, result),
        (error: unknown) =>
          end(index, { ok: false, failure: { kind: 'network', message: String(error) } }),
      )
    }

    const startNext = () => {
      const next = controllers.findIndex((controller, i) => !controller && i < attempts)
      if (next >= 0) start(next)
    }

    if (signal.aborted) {
      resolve({
        winner: null,
        failures: [{ kind: 'timeout', message: 'deadline passed before the first attempt' }],
      })
      return
    }
    signal.addEventListener('abort', abortAll, { once: true })
    for (let index = 0; index < attempts; index++) {
      const delay = options.delaysMs?.[index] ?? 0
      if (delay > 0) startTimers[index] = setTimeout(() => start(index), delay)
      else start(index)
    }
  })
}

// A race of one attempt has no loser to abort, so the attempt runs on the caller's signal
// without a controller, timers or listeners of its own: the common case of an endpoint without
// concurrent_calls, on every request.
async function runAlone<T>(
  run: (index: number, signal: AbortSignal) => Promise<AttemptResult<T>>,
  options: RaceOptions,
): Promise<RaceResult<T>> {
  const startedAt = performance.now()
  options.onAttemptStart?.(0)
  let result: AttemptResult<T>
  try {
    result = await run(0, options.signal)
  } catch (error) {
    result = { ok: false, failure: { kind: 'network', message: String(error) } }
  }
  if (result.ok) {
    options.onAttemptEnd?.(0, 'won')
    return {
      winner: { index: 0, value: result.value, latencyMs: performance.now() - startedAt },
      failures: [],
    }
  }
  options.onAttemptEnd?.(0, 'failed')
  return { winner: null, failures: [{ ...result.failure, attempt: 0 }] }
}
