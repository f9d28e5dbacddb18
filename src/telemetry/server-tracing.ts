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
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
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
    // Attributes are computed only for a span that is recorded: the sampler decides without them.
    const span = this.tracer.startSpan(
      `${plan.method} ${plan.path}`,
      { kind: SpanKind.SERVER },
      parent,
    )
    if (span.isRecording()) span.setAttributes(requestAttributes(request, clientAddress, plan))
    const context: TaskTraceContext = {}
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), context, defaultTextMapSetter)
    try {
      const response = await handle(context)
      if (span.isRecording()) endWithResponse(span, response.status)
      return response
    } catch (error) {
      span.recordException(error as Error)
      span.setAttribute(ATTR_ERROR_TYPE, (error as Error).name ?? 'Error')
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
    [ATTR_HTTP_REQUEST_METHOD]: request.method,
    [ATTR_HTTP_ROUTE]: plan.path,
    [ATTR_URL_PATH]: url.pathname,
    [ATTR_URL_SCHEME]: url.protocol.slice(0, -1),
    [ATTR_SERVER_ADDRESS]: url.hostname,
    [ATTR_NETWORK_PROTOCOL_NAME]: 'http',
  }
  if (url.port) attributes[ATTR_SERVER_PORT] = Number(url.port)
  if (clientAddress) attributes[ATTR_CLIENT_ADDRESS] = clientAddress
  const userAgent = request.headers.get('user-agent')
  if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent
  return attributes
}

// A 5xx is an error of the server span; a 4xx is the client's and leaves the status unset.
function endWithResponse(span: Span, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
  if (status >= 500) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
}
