import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions'
import type { BackendPlan, EndpointPlan } from '../src/plan.ts'
import type { Task, TracingSettings } from '../src/messages.ts'
import {
  TRACER_NAME,
  TRACER_VERSION,
  createTracerProvider,
  propagator,
} from '../src/telemetry/provider.ts'
import { answerFlushRequests } from '../src/telemetry/flush-channel.ts'
import type { AttemptOutcome, AttemptResult, Failure } from './race.ts'
import type {
  AttemptStatus,
  BackendObserver,
  TaskObserver,
  TaskObserverFactory,
} from './task-observer.ts'

// Spans of the worker side: one per backend of a task, and one per attempt under it. Their parent
// is the server span of the main thread, whose context the task carries as a traceparent.
// Attribute names outside the OpenTelemetry semantic conventions start with `tailgate.`.

/** url.template is still incubating in the semantic conventions, which exports no stable constant. */
const ATTR_URL_TEMPLATE = 'url.template'

export interface ThreadTracing {
  observe: TaskObserverFactory
  /** Exports the spans still buffered and stops the exporter. */
  close(): Promise<void>
}

/**
 * Starts tracing on this thread. With `flushChannel`, the thread also responds to the main thread's
 * flush requests (see src/telemetry/flush-channel.ts), as pool workers must.
 */
export function startThreadTracing(
  settings: TracingSettings,
  flushChannel?: string,
): ThreadTracing {
  const provider = createTracerProvider(settings)
  const stopListening = flushChannel
    ? answerFlushRequests(flushChannel, () => provider.forceFlush())
    : () => {}
  return {
    observe: createTaskTracing(provider.getTracer(TRACER_NAME, TRACER_VERSION)),
    async close() {
      stopListening()
      await provider.shutdown()
    },
  }
}

/** Returns a factory that traces the tasks carrying a trace context. */
export function createTaskTracing(tracer: Tracer): TaskObserverFactory {
  return (task, endpoint) => {
    if (!task.traceparent) return null
    return new TaskTrace(tracer, extractContext(task), endpoint)
  }
}

function extractContext(task: Task): Context {
  const carrier = { traceparent: task.traceparent, tracestate: task.tracestate }
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
}

class TaskTrace implements TaskObserver {
  constructor(
    private readonly tracer: Tracer,
    private readonly parent: Context,
    private readonly endpoint: EndpointPlan,
  ) {}

  backend(plan: BackendPlan): BackendObserver {
    return new BackendTrace(this.tracer, this.parent, this.endpoint, plan)
  }
}

const headerSetter: TextMapSetter<Headers> = {
  set: (headers, name, value) => headers.set(name, value),
}

class BackendTrace implements BackendObserver {
  private readonly span: Span
  private readonly context: Context
  private readonly template: string
  private readonly attempts: Span[] = []

  constructor(
    private readonly tracer: Tracer,
    parent: Context,
    endpoint: EndpointPlan,
    private readonly plan: BackendPlan,
  ) {
    this.template = pathTemplate(plan, endpoint)
    this.span = tracer.startSpan(
      `backend ${plan.method} ${this.template}`,
      { kind: SpanKind.INTERNAL },
      parent,
    )
    if (this.span.isRecording()) {
      this.span.setAttributes({
        'tailgate.endpoint': endpoint.key,
        'tailgate.backend.index': plan.index,
        'tailgate.backend.hosts': plan.hosts,
        'tailgate.concurrent_calls': endpoint.concurrentCalls,
        [ATTR_URL_TEMPLATE]: this.template,
      })
    }
    this.context = trace.setSpan(parent, this.span)
  }

  async attempt<T extends AttemptStatus>(
    index: number,
    url: string,
    init: RequestInit,
    send: (init: RequestInit) => Promise<AttemptResult<T>>,
  ): Promise<AttemptResult<T>> {
    const span = this.startAttempt(index, url)
    this.attempts[index] = span
    const headers = new Headers(init.headers)
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, headerSetter)
    try {
      const result = await send({ ...init, headers })
      if (result.ok) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.value.status)
      else recordFailure(span, result.failure)
      return result
    } catch (error) {
      span.recordException(error as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) })
      throw error
    }
  }

  attemptEnd(index: number, outcome: AttemptOutcome): void {
    const span = this.attempts[index]
    if (!span) return
    if (span.isRecording()) {
      span.setAttributes({
        'tailgate.attempt.outcome': outcome,
        'tailgate.attempt.won': outcome === 'won',
        'tailgate.attempt.aborted': outcome === 'aborted',
      })
    }
    span.end()
  }

  end(winner: number | null, failures: Failure[]): void {
    if (!this.span.isRecording()) {
      this.span.end()
      return
    }
    this.span.setAttributes({
      'tailgate.race.attempts': this.attempts.filter(Boolean).length,
      'tailgate.race.winner': winner ?? -1,
    })
    if (winner === null) {
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: failures[0]?.message ?? 'no attempt succeeded',
      })
    }
    this.span.end()
  }

  // An HTTP client span (semantic conventions for HTTP). url.full leaves out the query string,
  // because the client's query values may carry credentials.
  private startAttempt(index: number, url: string): Span {
    const name = `${this.plan.method} ${this.template}`
    const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT }, this.context)
    if (!span.isRecording()) return span
    const parsed = new URL(url)
    let port = parsed.protocol === 'https:' ? 443 : 80
    if (parsed.port) port = Number(parsed.port)
    span.setAttributes({
      [ATTR_HTTP_REQUEST_METHOD]: this.plan.method,
      [ATTR_URL_FULL]: `${parsed.origin}${parsed.pathname}`,
      [ATTR_URL_TEMPLATE]: this.template,
      [ATTR_SERVER_ADDRESS]: parsed.hostname,
      [ATTR_SERVER_PORT]: port,
      'tailgate.attempt.index': index,
      'tailgate.attempt.host': parsed.origin,
    })
    return span
  }
}

// An attempt that lost and was aborted is no error; every other failure is.
function recordFailure(span: Span, failure: Failure): void {
  if (failure.status !== undefined)
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, failure.status)
  if (failure.kind === 'aborted') return
  span.setAttribute(
    ATTR_ERROR_TYPE,
    failure.status === undefined ? failure.kind : String(failure.status),
  )
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
}

const templates = new WeakMap<BackendPlan, string>()

/** Builds the backend's url_pattern path with `{name}` placeholders, a low-cardinality span name. */
function pathTemplate(plan: BackendPlan, endpoint: EndpointPlan): string {
  const cached = templates.get(plan)
  if (cached !== undefined) return cached
  let path = ''
  for (const part of plan.path) {
    if (typeof part === 'string') path += part
    else if (typeof part === 'number') path += `{${endpoint.params[part]}}`
    else path += part.text
  }
  return path
}
