import { Field, SLOT_SIZE, bucketOf, MAX_ATTEMPTS } from '../src/stats-layout.ts'

/** Writes counters and latency histograms into the shared stats buffer with Atomics. */
export class StatsWriter {
  private readonly view: BigInt64Array

  constructor(buffer: SharedArrayBuffer) {
    this.view = new BigInt64Array(buffer)
  }

  add(slot: number, field: number, amount = 1): void {
    Atomics.add(this.view, slot * SLOT_SIZE + field, BigInt(amount))
  }

  latency(slot: number, millis: number): void {
    const micros = Math.round(millis * 1000)
    const base = slot * SLOT_SIZE
    Atomics.add(this.view, base + Field.latencySumMicros, BigInt(micros))
    Atomics.add(this.view, base + Field.latencyCount, 1n)
    Atomics.add(this.view, base + Field.histogram + bucketOf(micros), 1n)
  }

  win(slot: number, attemptIndex: number): void {
    this.add(slot, Field.winsByAttempt + Math.min(attemptIndex, MAX_ATTEMPTS - 1))
  }

  response(slot: number, status: number): void {
    if (status >= 500) this.add(slot, Field.status5xx)
    else if (status >= 400) this.add(slot, Field.status4xx)
    else this.add(slot, Field.status2xx)
  }
}
