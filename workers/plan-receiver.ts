import { BroadcastChannel, threadId } from 'node:worker_threads'
import type { PlanMessage, PlanSet } from '../src/messages.ts'
import type { Executor } from './executor.ts'

// The worker side of a config reload. Plan sets arrive on the pool's plan channel: each one is
// compiled into the executor and acknowledged, so that the main thread routes requests to a new
// generation only once every worker can run it. Old generations stay until the main thread
// retires them, after the last request routed with them has finished.

/** How long a task waits for the plan set of its generation before it runs and fails. */
export const PLAN_WAIT_MS = 10_000

export class PlanReceiver {
  private readonly channel: BroadcastChannel
  private readonly generations = new Set<number>()
  private readonly waiters = new Map<number, (() => void)[]>()
  /** Generations below this one have been retired and will never be loaded again. */
  private retiredBelow = 0

  constructor(
    private readonly executor: Executor,
    channelName: string,
    initial: PlanSet,
  ) {
    this.load(initial)
    this.channel = new BroadcastChannel(channelName)
    this.channel.onmessage = (event) => this.receive((event as MessageEvent<PlanMessage>).data)
    // The channel must not keep an idle worker alive; the pool ends workers on close.
    this.channel.unref()
    this.post({ type: 'hello', threadId, generations: [...this.generations] })
  }

  hasGeneration(generation: number): boolean {
    return this.generations.has(generation)
  }

  /**
   * Resolves when the plan set of `generation` is loaded, is retired, or after PLAN_WAIT_MS;
   * at once for a generation that is already retired.
   * A worker that the pool starts after a reload receives the newer plan sets only after it
   * announces itself, and its first tasks may arrive before that. Those tasks wait here.
   */
  whenLoaded(generation: number): Promise<void> {
    if (this.generations.has(generation) || generation < this.retiredBelow) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, PLAN_WAIT_MS)
      const list = this.waiters.get(generation) ?? []
      list.push(() => {
        clearTimeout(timer)
        resolve()
      })
      this.waiters.set(generation, list)
    })
  }

  close(): void {
    this.channel.close()
  }

  private receive(message: PlanMessage): void {
    if (message.type === 'load') {
      if (!this.generations.has(message.planSet.generation)) this.load(message.planSet)
      this.post({ type: 'loaded', threadId, generation: message.planSet.generation })
    } else if (message.type === 'retire') {
      this.retire(message.generation)
    }
  }

  private load(planSet: PlanSet): void {
    this.executor.load(planSet)
    this.generations.add(planSet.generation)
    this.release(planSet.generation)
  }

  // Drops generations older than `generation`. A task still waiting for one of them is released
  // so that the executor rejects it at once instead of after PLAN_WAIT_MS.
  private retire(generation: number): void {
    this.executor.retire(generation)
    this.retiredBelow = Math.max(this.retiredBelow, generation)
    for (const old of [...this.generations]) if (old < generation) this.generations.delete(old)
    for (const waited of [...this.waiters.keys()]) if (waited < generation) this.release(waited)
  }

  private release(generation: number): void {
    for (const wake of this.waiters.get(generation) ?? []) wake()
    this.waiters.delete(generation)
  }

  private post(message: PlanMessage): void {
    this.channel.postMessage(message)
  }
}
