import { BroadcastChannel } from 'node:worker_threads'
import { randomUUID } from 'node:crypto'
import type { PlanMessage, PlanSet } from './messages.ts'
import { log } from './log.ts'

// The main-thread side of a config reload in a worker pool. Piscina's `run` reaches one worker
// of its choice, so plan sets go out on a BroadcastChannel that every worker joins
// (workers/plan-receiver.ts). Each worker acknowledges a plan set once it has compiled it, and
// `load` resolves when every thread of the pool has done so.

/** How long `load` waits for every worker to acknowledge a plan set. */
export const PLAN_ACK_TIMEOUT_MS = 10_000
/** How often `load` looks again at the pool's threads, in case one exited while it waited. */
const RECHECK_MS = 50

interface PendingLoad {
  generation: number
  check(): void
}

export class PlanBroadcaster {
  /** Unique per pool, so that gateways in one process never read each other's plans. */
  readonly channelName = `tailgate-plans-${randomUUID()}`
  private readonly channel: BroadcastChannel
  /** Plan sets not yet retired, by generation: what a newly started worker must receive. */
  private readonly live = new Map<number, PlanSet>()
  /** Generations each thread has acknowledged, by thread id. */
  private readonly acknowledged = new Map<number, Set<number>>()
  private readonly pending = new Set<PendingLoad>()
  private closed = false

  /** `threadIds` lists the pool's current threads; it is read each time acks are counted. */
  constructor(
    private readonly threadIds: () => number[],
    initial: PlanSet,
  ) {
    this.live.set(initial.generation, initial)
    this.channel = new BroadcastChannel(this.channelName)
    this.channel.onmessage = (event) => this.receive((event as MessageEvent<PlanMessage>).data)
    this.channel.unref()
  }

  /** Sends a plan set to every worker; resolves once each thread of the pool has loaded it. */
  load(planSet: PlanSet, timeoutMs = PLAN_ACK_TIMEOUT_MS): Promise<void> {
    const { generation } = planSet
    this.live.set(generation, planSet)
    this.post({ type: 'load', planSet })

    return new Promise((resolve, reject) => {
      const pending: PendingLoad = {
        generation,
        check: () => {
          const missing = this.missing(generation)
          if (missing.length > 0) return
          finish()
          resolve()
        },
      }
      const interval = setInterval(pending.check, RECHECK_MS)
      const timer = setTimeout(() => {
        finish()
        this.live.delete(generation)
        const threads = this.missing(generation).join(', ')
        reject(
          new Error(
            `worker threads ${threads} did not load plan generation ${generation} within ${timeoutMs} ms`,
          ),
        )
      }, timeoutMs)
      const finish = () => {
        clearInterval(interval)
        clearTimeout(timer)
        this.pending.delete(pending)
      }
      this.pending.add(pending)
      pending.check()
    })
  }

  /** Drops generations older than `generation` in every worker. */
  retire(generation: number): void {
    for (const old of [...this.live.keys()]) if (old < generation) this.live.delete(old)
    for (const known of this.acknowledged.values()) {
      for (const old of [...known]) if (old < generation) known.delete(old)
    }
    this.post({ type: 'retire', generation })
  }

  close(): void {
    this.closed = true
    this.channel.close()
  }

  private missing(generation: number): number[] {
    const threads = this.threadIds()
    for (const id of [...this.acknowledged.keys()]) {
      if (!threads.includes(id)) this.acknowledged.delete(id)
    }
    return threads.filter((id) => !this.acknowledged.get(id)?.has(generation))
  }

  private receive(message: PlanMessage): void {
    if (message.type === 'loaded') {
      this.acknowledge(message.threadId, [message.generation])
    } else if (message.type === 'hello') {
      this.acknowledge(message.threadId, message.generations)
      this.catchUp(message.threadId, message.generations)
    }
    for (const pending of [...this.pending]) pending.check()
  }

  private acknowledge(threadId: number, generations: number[]): void {
    const known = this.acknowledged.get(threadId) ?? new Set<number>()
    for (const generation of generations) known.add(generation)
    this.acknowledged.set(threadId, known)
  }

  // A worker that started after a reload (the pool replaces a worker that exits) has only the
  // plan set of its workerData. It is sent every live generation it lacks; the other workers
  // ignore plan sets they already have.
  private catchUp(threadId: number, generations: number[]): void {
    const lacking = [...this.live.values()].filter((set) => !generations.includes(set.generation))
    if (lacking.length === 0) return
    log.info(
      { threadId, generations: lacking.map((set) => set.generation) },
      'sending current plans to a new worker',
    )
    for (const planSet of lacking) this.post({ type: 'load', planSet })
    const oldest = Math.min(...this.live.keys())
    if (generations.some((generation) => generation < oldest)) {
      this.post({ type: 'retire', generation: oldest })
    }
  }

  // A request that finishes while the gateway stops can retire its generation after close.
  private post(message: PlanMessage): void {
    if (this.closed) return
    this.channel.postMessage(message)
  }
}
