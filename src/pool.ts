import Piscina from 'piscina'
import type {
  HttpClientOptions,
  PlanSet,
  Task,
  TaskResult,
  WorkerInit,
  WorkerTelemetry,
} from './messages.ts'
import { Executor } from '../workers/executor.ts'
import { createHttpClient, FETCH_POOL_SOCKETS } from '../workers/http-client.ts'
import { StatsWriter } from '../workers/stats-writer.ts'
import { PlanBroadcaster } from './plan-broadcast.ts'
import { startThreadTracing } from '../workers/tracing.ts'

/** Runs tasks, on a piscina pool of worker threads or, with 0 threads, on the main thread. */
export interface Dispatcher {
  readonly threads: number
  run(task: Task): Promise<TaskResult>
  /** Tasks waiting for a worker. */
  readonly queued: number
  /** Share (0..1) of the pool's concurrent task capacity in use; 0 without worker threads. */
  readonly utilization: number
  /** Makes a plan set runnable on every thread; resolves once each thread has loaded it. */
  load(planSet: PlanSet): Promise<void>
  /** Drops the plan generations older than `generation` on every thread. */
  retire(generation: number): void
  close(): Promise<void>
}

export interface DispatcherOptions {
  threads: number
  planSet: PlanSet
  statsBuffer: SharedArrayBuffer
  httpClient?: HttpClientOptions['client']
  /** In-flight backend requests for the whole process; split evenly between threads. */
  maxSockets?: number
  telemetry: WorkerTelemetry
}

// Tasks are I/O-bound: a worker spends most of a task waiting on backends. Piscina's default of
// one task per worker would cap throughput at threads / backend latency, so each worker takes
// many at once. Measured here on piscina 5 and Bun 1.4.5: 1,000 tasks of 10 ms took 5.3 s with
// the default and 20,000 took 0.4 s with 512.
// TODO(perf): each task crosses the thread boundary twice (piscina's postMessage and structured
// clone). That cost 40 to 60 µs of CPU per request in the bench on Bun 1.4.5, which is more than
// a whole minimal fetch proxy spends on a small request. Sending the tasks that arrive in one event-loop
// turn as one message, and their results likewise, would spread that cost: in a synthetic test
// (64 tasks in flight, 2 workers, no I/O) a message round trip cost 25 µs of CPU per task with
// piscina or a bare postMessage, and 6 to 8 µs with batches. Results must still return one by
// one, or a slow request would hold back the fast ones batched with it.
const TASKS_PER_WORKER = 1024
const WORKER_FILE = new URL('../workers/worker.ts', import.meta.url).href

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const sockets = options.maxSockets ?? FETCH_POOL_SOCKETS
  const threads = options.threads
  const http: HttpClientOptions = {
    client: options.httpClient ?? 'pooled-fetch',
    maxInFlight: Math.max(1, Math.floor(sockets / Math.max(1, threads))),
  }
  return threads === 0 ? inlineDispatcher(options, http) : poolDispatcher(options, http)
}

function inlineDispatcher(options: DispatcherOptions, http: HttpClientOptions): Dispatcher {
  const settings = options.telemetry.tracing
  const tracing = settings ? startThreadTracing(settings) : null
  const executor = new Executor(
    createHttpClient(http),
    new StatsWriter(options.statsBuffer),
    tracing?.observe,
  )
  executor.load(options.planSet)
  return {
    threads: 0,
    queued: 0,
    utilization: 0,
    run: (task) => executor.run(task),
    load: async (planSet) => executor.load(planSet),
    retire: (generation) => executor.retire(generation),
    close: async () => {
      await tracing?.close()
    },
  }
}

function poolDispatcher(options: DispatcherOptions, http: HttpClientOptions): Dispatcher {
  // `pool` is assigned below; the broadcaster reads its threads only when a plan set is loaded.
  const plans = new PlanBroadcaster(
    () => pool.threads.map((thread) => thread.threadId),
    options.planSet,
  )
  const workerData: WorkerInit = {
    planSet: options.planSet,
    statsBuffer: options.statsBuffer,
    http,
    planChannel: plans.channelName,
    telemetry: options.telemetry,
  }
  const pool = new Piscina<Task, TaskResult>({
    filename: WORKER_FILE,
    minThreads: options.threads,
    maxThreads: options.threads,
    concurrentTasksPerWorker: TASKS_PER_WORKER,
    idleTimeout: Infinity,
    // 'sync' parks an idle worker in Atomics.wait, which freezes its event loop, and with it the
    // timers that abort losers after the response has gone. 'async' waits without blocking.
    atomics: 'async',
    workerData,
  })
  // Tasks inside the workers: piscina's own utilization assumes one task per worker at a time.
  let running = 0
  const settle = () => running--
  return {
    threads: options.threads,
    get queued() {
      return pool.queueSize
    },
    get utilization() {
      return (running - pool.queueSize) / (options.threads * TASKS_PER_WORKER)
    },
    run: (task) => {
      running++
      const result = pool.run(task)
      result.then(settle, settle)
      return result
    },
    load: (planSet) => plans.load(planSet),
    retire: (generation) => plans.retire(generation),
    close: async () => {
      plans.close()
      await pool.destroy()
    },
  }
}
