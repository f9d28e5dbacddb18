/**
 * Open-model load generator, run as its own process: `bun bench/load/open-loop.ts '<json>'`.
 *
 * Each target gets requests at a fixed arrival rate, whatever the server does. A request's latency
 * is measured from its scheduled send time, not from when it was actually sent, so a stall of the
 * server or of this process shows up in the latency (no coordinated omission). Latencies of
 * 2xx responses go into an HDR histogram in microseconds; the result is printed as one JSON line.
 */
import * as hdr from 'hdr-histogram-js'

export interface OpenLoopPlan {
  targets: { name: string; url: string }[]
  /** Requests per second for each target. */
  rate: number
  durationMs: number
  /** Requests scheduled during the warm-up are sent but not recorded. */
  warmupMs: number
  timeoutMs: number
  /** Header that carries a unique key per client request, for the backend's correlated delay. */
  keyHeader: string
  keyPrefix: string
}

export interface OpenLoopTargetResult {
  name: string
  /** Requests sent, warm-up included. */
  sentTotal: number
  /** Requests sent after the warm-up; only these are recorded. */
  sent: number
  ok: number
  /** Count of non-2xx responses, by status; `error` counts network errors and timeouts. */
  failed: Record<string, number>
  /** HDR histogram of 2xx latencies in microseconds, compressed and base64-encoded. */
  histogram: string
  /** Max lateness of this process's own sends behind the schedule, in milliseconds. */
  maxSendLagMs: number
}

const HISTOGRAM_MAX_US = 120_000_000

async function runOpenLoop(plan: OpenLoopPlan): Promise<OpenLoopTargetResult[]> {
  const results = plan.targets.map((target) => newTargetState(target.name))
  const intervalMs = 1000 / plan.rate
  const totalMs = plan.warmupMs + plan.durationMs
  const perTarget = Math.floor((totalMs * plan.rate) / 1000)
  const pending: Promise<void>[] = []
  const start = performance.now() + 20

  for (let i = 0; i < perTarget; i++) {
    for (let t = 0; t < plan.targets.length; t++) {
      // Targets take turns inside each interval, so they see the same conditions.
      const scheduled = start + (i + t / plan.targets.length) * intervalMs
      const wait = scheduled - performance.now()
      if (wait > 0) await Bun.sleep(wait)

      const state = results[t]!
      state.maxSendLagMs = Math.max(state.maxSendLagMs, performance.now() - scheduled)
      const record = scheduled - start >= plan.warmupMs
      pending.push(
        send(plan, plan.targets[t]!.url, `${plan.keyPrefix}-${t}-${i}`, scheduled, state, record),
      )
    }
  }
  await Promise.all(pending)
  return results.map(finishTargetState)
}

type TargetState = ReturnType<typeof newTargetState>

function newTargetState(name: string) {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX_US,
    numberOfSignificantValueDigits: 3,
  })
  return {
    name,
    sentTotal: 0,
    sent: 0,
    ok: 0,
    failed: {} as Record<string, number>,
    histogram,
    maxSendLagMs: 0,
  }
}

function finishTargetState(state: TargetState): OpenLoopTargetResult {
  const { histogram, ...counts } = state
  return { ...counts, histogram: hdr.encodeIntoCompressedBase64(histogram) }
}

async function send(
  plan: OpenLoopPlan,
  url: string,
  key: string,
  scheduled: number,
  state: TargetState,
  record: boolean,
) {
  let outcome: string
  state.sentTotal++
  try {
    const response = await fetch(url, {
      headers: { [plan.keyHeader]: key },
      signal: AbortSignal.timeout(plan.timeoutMs),
    })
    await response.arrayBuffer()
    outcome = response.ok ? 'ok' : String(response.status)
  } catch {
    outcome = 'error'
  }
  if (!record) return

  state.sent++
  if (outcome === 'ok') {
    state.ok++
    const latencyUs = Math.round((performance.now() - scheduled) * 1000)
    state.histogram.recordValue(Math.min(Math.max(latencyUs, 1), HISTOGRAM_MAX_US))
  } else {
    state.failed[outcome] = (state.failed[outcome] ?? 0) + 1
  }
}

if (import.meta.main) {
  const plan = JSON.parse(process.argv[2]!) as OpenLoopPlan
  const results = await runOpenLoop(plan)
  process.stdout.write(`${JSON.stringify(results)}\n`)
}
