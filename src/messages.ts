// Every message that crosses between the main thread and the workers. Both sides import these
// types; nothing else is posted across the thread boundary.

import type { EndpointPlan } from './plan.ts'

/** One client request, reduced to what the request adds to its endpoint's plan. */
export interface Task {
  /** Plan generation the request was routed with; the worker runs that generation's plan. */
  generation: number
  /** Index of the endpoint in its plan set. */
  endpoint: number
  /** Path parameter values (decoded), in the order of the plan's `params`. */
  params: string[]
  /** Allowed query parameters as name, value pairs in request order, flattened. */
  query: string[]
  /** Allowed request headers as lower-case name, value pairs, flattened. */
  headers: string[]
  body: Uint8Array | null
  /** Client address and Host header, for X-Forwarded-For and X-Forwarded-Host. */
  clientIp: string
  host: string
  /** Accept header, read by the negotiate output encoding; missing means none. */
  accept?: string
  /**
   * W3C trace context of the request's server span, so that backend and attempt spans made in a
   * worker join its trace. Absent when tracing is off.
   */
  traceparent?: string
  tracestate?: string
}

/** A finished response: status, headers as [name, value] pairs, and the body. */
export interface TaskResult {
  status: number
  headers: [string, string][]
  body: string | Uint8Array
}

/** The plans of one config version. A reload publishes a new set with a higher generation. */
export interface PlanSet {
  generation: number
  endpoints: EndpointPlan[]
}

/** Data every worker receives when it starts. */
export interface WorkerInit {
  planSet: PlanSet
  statsBuffer: SharedArrayBuffer
  http: HttpClientOptions
  /** Name of the BroadcastChannel that carries PlanMessages; unique per pool. */
  planChannel: string
  telemetry: WorkerTelemetry
}

/** Logging and tracing settings, resolved once on the main thread and applied in every worker. */
export interface WorkerTelemetry {
  log: LogSettings
  /** null when tracing is off. */
  tracing: TracingSettings | null
  /** BroadcastChannel name on which workers answer flush requests before the pool stops. */
  flushChannel: string
}

export interface LogSettings {
  /** A pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string
  format: 'json' | 'pretty'
}

/** Where and how spans are exported; see src/telemetry/settings.ts for the sources of each value. */
export interface TracingSettings {
  /** Full OTLP/HTTP traces URL, such as http://127.0.0.1:4318/v1/traces. */
  url: string
  protocol: 'http/protobuf' | 'http/json'
  sampler: SamplerSettings
  /** Resource attributes of every span, service.name among them. */
  resource: Record<string, string>
  batch: BatchSettings
}

export interface SamplerSettings {
  /** How a trace without a sampled parent is decided: all, none, or a share of trace ids. */
  root: 'always_on' | 'always_off' | 'traceidratio'
  /** Share of traces sampled by traceidratio, 0..1. */
  ratio: number
  /** Whether a parent's decision (a client's traceparent) takes precedence over `root`. */
  parentBased: boolean
}

/** Batch span processor settings, as the OTEL_BSP_* variables name them. */
export interface BatchSettings {
  scheduledDelayMillis: number
  exportTimeoutMillis: number
  maxQueueSize: number
  maxExportBatchSize: number
}

/**
 * Messages on a pool's plan channel (a BroadcastChannel that the main thread and every worker
 * join). The main thread sends `load` and `retire`; each worker answers `load` with `loaded` and
 * announces itself with `hello` when it starts, so that a worker created after a reload is sent
 * the plan sets it lacks.
 */
export type PlanMessage =
  | { type: 'load'; planSet: PlanSet }
  | { type: 'retire'; generation: number }
  | { type: 'loaded'; threadId: number; generation: number }
  | { type: 'hello'; threadId: number; generations: number[] }

/** Settings of the backend HTTP client; see workers/http-client.ts for what each one trades. */
export interface HttpClientOptions {
  /** `pooled-fetch` (default) caps in-flight requests at the keep-alive pool size; `fetch` does not. */
  client: 'pooled-fetch' | 'fetch'
  /** In-flight backend requests this thread may have; the rest wait in a queue. */
  maxInFlight: number
}
