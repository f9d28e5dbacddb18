import { afterEach, expect, test } from 'bun:test'
import { threadId } from 'node:worker_threads'
import { PlanBroadcaster } from '../src/plan-broadcast.ts'
import type { PlanSet } from '../src/messages.ts'
import { createStatsBuffer } from '../src/stats-layout.ts'
import { Executor } from '../workers/executor.ts'
import { createHttpClient } from '../workers/http-client.ts'
import { PlanReceiver } from '../workers/plan-receiver.ts'
import { StatsWriter } from '../workers/stats-writer.ts'
import { waitFor } from './helpers/scripted-backend.ts'

// A BroadcastChannel delivers to every other channel object of the same name, in this thread
// too, so a broadcaster and a receiver in the test thread talk as the main thread and a worker
// do. The receiver reports the test thread's id, which `threadIds` lists as the pool's thread.

const closers: (() => void)[] = []

afterEach(() => {
  for (const close of closers.splice(0)) close()
})

function planSet(generation: number): PlanSet {
  return { generation, endpoints: [] }
}

function broadcaster(threads: number[]): PlanBroadcaster {
  const plans = new PlanBroadcaster(() => threads, planSet(1))
  closers.push(() => plans.close())
  return plans
}

function receiver(channelName: string): PlanReceiver {
  const executor = new Executor(
    createHttpClient({ client: 'fetch', maxInFlight: 1 }),
    new StatsWriter(createStatsBuffer(1)),
  )
  const plans = new PlanReceiver(executor, channelName, planSet(1))
  closers.push(() => plans.close())
  return plans
}

test('load resolves once the worker acknowledges', async () => {
  const plans = broadcaster([threadId])
  const worker = receiver(plans.channelName)
  await Bun.sleep(10)

  await plans.load(planSet(2), 1000)

  expect(worker.hasGeneration(2)).toBe(true)
})

test('worker started after a reload receives the live generations', async () => {
  const plans = broadcaster([threadId])
  const loading = plans.load(planSet(2), 1000)

  const late = receiver(plans.channelName)
  await loading

  expect(late.hasGeneration(1)).toBe(true)
  expect(late.hasGeneration(2)).toBe(true)
})

test('retire drops older generations in the worker', async () => {
  const plans = broadcaster([threadId])
  const worker = receiver(plans.channelName)
  await Bun.sleep(10)
  await plans.load(planSet(2), 1000)

  plans.retire(2)
  const retired = await waitFor(() => !worker.hasGeneration(1), 1000)
  const startedAt = performance.now()
  await worker.whenLoaded(1)

  expect(retired).toBe(true)
  expect(worker.hasGeneration(2)).toBe(true)
  // A task of a retired generation fails at once instead of waiting for its plans.
  expect(performance.now() - startedAt).toBeLessThan(100)
})

test('load rejects when a thread never acknowledges', async () => {
  const plans = broadcaster([threadId, 999_999])
  receiver(plans.channelName)

  const outcome = plans.load(planSet(2), 100)

  expect(outcome).rejects.toThrow(
    'worker threads 999999 did not load plan generation 2 within 100 ms',
  )
  await outcome.catch(() => {})
})
