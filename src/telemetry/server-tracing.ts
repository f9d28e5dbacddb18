import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api'
import type { EndpointPlan } from '../plan.ts'
import { propagator } from './provider.ts'

/** The trace context a request hands to its task, as W3C header values. */
export interface TaskTraceContext {
  traceparent?: string
  tracestate?: string
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, name) => headers.get(name) ?? undefined,
}

/**
 * Makes the server span of each client request (semantic conventions for HTTP servers). A W3C
 * traceparent sent by the client becomes the span's parent, so the gateway continues its trace.
 */
export class ServerTracing {
  constructor(private readonly tracer: Tracer) {}

  /** Runs `handle` inside a server span and returns its response. */
  async traceRequest(
    request: Request,
    clientAddress: string | undefined,
    plan: EndpointPlan,
    handle: (context: TaskTraceContext) => Promise<Response>,
  ): Promise<Response> {
    const parent = propagator.extract(ROOT_CONTEXT, request.headers, headerGetter)
    const span = this.tracer.startSpan(
      `${plan.method} ${plan.path}`,
      { kind: SpanKind.SERVER, attributes: requestAttributes(request, clientAddress, plan) },
      parent,
    )
    const context: TaskTraceContext = {}
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), context, defaultTextMapSetter)
    try {
      const response = await handle(context)
      endWithResponse(span, response.status)
      return response
    } catch (error) {
      span.recordException(error as Error)
      span.setAttribute('error.type', (error as Error).name ?? 'Error')
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) })
      throw error
    } finally {
      span.end()
    }
  }
}

function requestAttributes(
  request: Request,
  clientAddress: string | undefined,
  plan: EndpointPlan,
): Attributes {
  const url = new URL(request.url)
  const attributes: Attributes = {
    'http.request.method': request.method,
    'http.route': plan.path,
    'url.path': url.pathname,
    'url.scheme': url.protocol.slice(0, -1),
    'server.address': url.hostname,
    'network.protocol.name': 'http',
  }
  if (url.port) attributes['server.port'] = Number(url.port)
  if (clientAddress) attributes['client.address'] = clientAddress
  const userAgent = request.headers.get('user-agent')
  if (userAgent) attributes['user_agent.original'] = userAgent
  return attributes
}

// A 5xx is an error of the server span; a 4xx is the client's and leaves the status unset.
function endWithResponse(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status)
  if (status >= 500) {
    span.setAttribute('error.type', String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
}
