import type { Server } from 'bun'

// An OTLP/HTTP trace receiver on 127.0.0.1 for tests. It decodes http/json exports into flat
// span records and keeps the raw bodies of any other content type (http/protobuf).

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  kind: number
  attributes: Record<string, unknown>
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number
  resource: Record<string, unknown>
}

export interface ReceivedExport {
  path: string
  contentType: string
  body: Uint8Array
}

export interface OtlpReceiver {
  url: string
  spans: ReceivedSpan[]
  exports: ReceivedExport[]
  /** Waits until `predicate` holds for the spans received, or fails after `timeoutMs`. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

type OtlpValue = {
  stringValue?: string
  boolValue?: boolean
  intValue?: number | string
  doubleValue?: number
  arrayValue?: { values?: OtlpValue[] }
}
type OtlpAttribute = { key: string; value: OtlpValue }

export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = []
  const exports: ReceivedExport[] = []
  const server: Server<unknown> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const body = new Uint8Array(await request.arrayBuffer())
      const contentType = request.headers.get('content-type') ?? ''
      exports.push({ path: new URL(request.url).pathname, contentType, body })
      if (contentType.startsWith('application/json')) {
        spans.push(...decodeJsonExport(JSON.parse(new TextDecoder().decode(body))))
        return new Response('{}', { headers: { 'content-type': 'application/json' } })
      }
      // An empty ExportTraceServiceResponse encodes to zero protobuf bytes.
      return new Response(new Uint8Array(0), {
        headers: { 'content-type': 'application/x-protobuf' },
      })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans,
    exports,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = performance.now() + timeoutMs
      while (!predicate(spans)) {
        if (performance.now() > deadline) {
          throw new Error(
            `OTLP receiver: condition not met in ${timeoutMs} ms (${spans.length} spans)`,
          )
        }
        await Bun.sleep(20)
      }
    },
    stop: () => server.stop(true),
  }
}

function decodeJsonExport(document: any): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const resourceSpans of document.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes)
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes),
          statusCode: span.status?.code ?? 0,
          resource,
        })
      }
    }
  }
  return spans
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const attributes: Record<string, unknown> = {}
  for (const { key, value } of list ?? []) attributes[key] = valueOf(value)
  return attributes
}

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf)
  return undefined
}
