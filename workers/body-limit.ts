// A bound on the backend body a worker buffers. Backend bodies are read whole (to decode them, or
// to hand a no-op body to the main thread), so without a bound one backend streaming hundreds of
// megabytes would make the gateway hold all of it, once per attempt.

/** Largest backend body read, in bytes: 32 MiB. */
export const MAX_BACKEND_BODY_BYTES = 32 * 1024 * 1024

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'

  constructor(received: number) {
    super(
      `backend body exceeds the ${MAX_BACKEND_BODY_BYTES / 1024 / 1024} MiB limit (${received} bytes or more)`,
    )
  }
}

/**
 * Reads a response body as bytes, up to the limit. A declared Content-Length over the limit fails
 * before reading; a body without one is counted as it arrives. Throws BodyTooLargeError.
 */
export async function readBodyBytes(response: Response): Promise<Uint8Array> {
  const declared = response.headers.get('content-length')
  if (declared !== null) {
    if (Number(declared) > MAX_BACKEND_BODY_BYTES) {
      await response.body?.cancel()
      throw new BodyTooLargeError(Number(declared))
    }
    return response.bytes()
  }
  if (!response.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let received = 0
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    received += value.byteLength
    if (received > MAX_BACKEND_BODY_BYTES) {
      await reader.cancel()
      throw new BodyTooLargeError(received)
    }
    chunks.push(value)
  }
  return concatChunks(chunks, received)
}

const decoder = new TextDecoder()

/** Reads a response body as UTF-8 text, up to the limit. Throws BodyTooLargeError. */
export async function readBodyText(response: Response): Promise<string> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) <= MAX_BACKEND_BODY_BYTES) return response.text()
  return decoder.decode(await readBodyBytes(response))
}

function concatChunks(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
