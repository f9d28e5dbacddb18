import { diag, DiagLogLevel, type DiagLogFunction } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace'
import type { SamplerSettings, TracingSettings } from '../messages.ts'
import { log } from '../log.ts'
import packageJson from '../../package.json'

// Builds the tracer provider of one thread. The main thread and every worker thread each have
// their own, with the same settings, and export their spans on their own: spans cross no thread
// boundary, only the trace context does (in the task).

export const TRACER_NAME = 'tailgate'
export const TRACER_VERSION = packageJson.version

/** The W3C Trace Context propagator: reads and writes the traceparent and tracestate headers. */
export const propagator = new W3CTraceContextPropagator()

export function createTracerProvider(settings: TracingSettings): TracerProvider {
  routeDiagnosticsToLog()
  const exporter =
    settings.protocol === 'http/json'
      ? new JsonTraceExporter({ url: settings.url })
      : new ProtobufTraceExporter({ url: settings.url })
  return new TracerProvider({
    resource: resourceFromAttributes(settings.resource),
    sampler: createSampler(settings.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...settings.batch })],
  })
}

function createSampler(settings: SamplerSettings): Sampler {
  const root =
    settings.root === 'always_on'
      ? new AlwaysOnSampler()
      : settings.root === 'always_off'
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(settings.ratio)
  return settings.parentBased ? new ParentBasedSampler({ root }) : root
}

let diagnosticsRouted = false

// The SDK reports failed exports through its diagnostics API, which is silent unless a logger is
// set. Its warnings and errors go to the gateway's log, so that an unreachable collector shows.
function routeDiagnosticsToLog(): void {
  if (diagnosticsRouted) return
  diagnosticsRouted = true
  const warn: DiagLogFunction = (message, ...args) =>
    log.warn({ details: args.map(String) }, `OpenTelemetry: ${message}`)
  const ignore: DiagLogFunction = () => {}
  diag.setLogger(
    { error: warn, warn, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  )
}
