import { workerData } from 'node:worker_threads'
import Piscina from 'piscina'
import type { Task, TaskResult, WorkerInit } from '../src/messages.ts'
import { Executor } from './executor.ts'
import { createHttpClient } from './http-client.ts'
import { StatsWriter } from './stats-writer.ts'
import { PlanReceiver } from './plan-receiver.ts'
import { configureLog } from '../src/log.ts'

// Entry point of a pool worker thread. The first plans arrive in workerData and those of each
// config reload on the plan channel; each task then carries only what its request adds.

const init = workerData as WorkerInit
configureLog(init.telemetry.log)
// Loaded only when tracing is on, so that a worker without it never loads OpenTelemetry.
const tracing = init.telemetry.tracing
  ? (await import('./tracing.ts')).startThreadTracing(
      init.telemetry.tracing,
      init.telemetry.flushChannel,
    )
  : null
const executor = new Executor(
  createHttpClient(init.http),
  new StatsWriter(init.statsBuffer),
  tracing?.observe,
)
const plans = new PlanReceiver(executor, init.planChannel, init.planSet)

/** Runs one task; a binary body is transferred to the main thread instead of copied. */
export default async function runTask(
  task: Task,
): Promise<TaskResult | ReturnType<typeof movable>> {
  if (!plans.hasGeneration(task.generation)) await plans.whenLoaded(task.generation)
  const result = await executor.run(task)
  return typeof result.body === 'string' ? result : movable(result)
}

// Piscina transfers a result only when it is marked with Piscina.move; an unmarked wrapper
// would be structured-cloned as an empty object.
function movable(result: TaskResult) {
  const buffer = (result.body as Uint8Array).buffer
  const transferable = {
    [Piscina.transferableSymbol]: [buffer],
    [Piscina.valueSymbol]: result,
  }
  // @ts-expect-error piscina 5 types Transferable with its private unique symbols, which the
  // public transferableSymbol and valueSymbol getters return but do not type.
  return Piscina.move(transferable)
}
