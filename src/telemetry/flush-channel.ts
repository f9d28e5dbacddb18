// Worker threads export their spans on their own, in batches. Before the pool is destroyed, the
// main thread asks every worker to export what it holds: it posts a flush request on a
// BroadcastChannel, each worker flushes and replies, and the main thread waits for as many
// replies as there are workers, or for a timeout.

type FlushMessage = { type: 'flush'; id: number } | { type: 'flushed'; id: number }

let nextRequestId = 1

/** Answers flush requests on `name` by running `flush`; returns a function that stops listening. */
export function answerFlushRequests(name: string, flush: () => Promise<void>): () => void {
  const channel = new BroadcastChannel(name)
  channel.onmessage = (event) => {
    const message = event.data as FlushMessage
    if (message.type !== 'flush') return
    const { id } = message
    flush()
      .catch(() => {})
      .finally(() => channel.postMessage({ type: 'flushed', id } satisfies FlushMessage))
  }
  unref(channel)
  return () => channel.close()
}

/** Asks the listeners on `name` to flush; resolves with the number that replied in time. */
export function requestFlush(name: string, listeners: number, timeoutMs: number): Promise<number> {
  if (listeners === 0) return Promise.resolve(0)
  const channel = new BroadcastChannel(name)
  const id = nextRequestId++
  return new Promise((resolve) => {
    let replies = 0
    const finish = () => {
      clearTimeout(timer)
      channel.close()
      resolve(replies)
    }
    const timer = setTimeout(finish, timeoutMs)
    channel.onmessage = (event) => {
      const message = event.data as FlushMessage
      if (message.type !== 'flushed' || message.id !== id) return
      replies++
      if (replies === listeners) finish()
    }
    channel.postMessage({ type: 'flush', id } satisfies FlushMessage)
  })
}

// An idle listener must not keep a thread alive. Bun and Node both implement unref on
// BroadcastChannel, but the DOM typings do not declare it.
function unref(channel: BroadcastChannel): void {
  ;(channel as BroadcastChannel & { unref?: () => void }).unref?.()
}
