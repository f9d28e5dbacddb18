import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api'
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import type { BackendPlan, EndpointPlan } from '../plan.ts'
import type { Dispatcher } from '../pool.ts'
import type { StatsRegistry } from '../stats.ts'
import { Field, MAX_ATTEMPTS } from '../stats-layout.ts'
import { log } from '../log.ts'
import { LatencyHistogramProducer, type HistogramSeries } from './latency-histograms.ts'
import packageJson from '../../package.json'

// Serves the shared-buffer stats as OpenTelemetry metrics in the Prometheus text format. Every
// instrument is asynchronous: its callback reads the buffer when /__metrics is scraped, so the
// request path and the workers never call the metrics API. Names follow the OpenTelemetry
// conventions (dotted, unit in `unit`); the Prometheus exporter turns `tailgate.backend.attempts`
// into `tailgate_backend_attempts_total`.

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
const STATUS_CLASSES = [
  ['2xx', Field.status2xx],
  ['4xx', Field.status4xx],
  ['5xx', Field.status5xx],
] as const
const FAILURE_KINDS = [
  ['status', Field.failStatus],
  ['network', Field.failNetwork],
  ['timeout', Field.failTimeout],
  ['decode', Field.failDecode],
] as const

/** Stats buffer and dispatcher, read at each scrape. */
export interface MetricsSource {
  stats: StatsRegistry
  dispatcher: Dispatcher
}

export class GatewayMetrics {
  private readonly exporter: PrometheusExporter
  // The exporter's request handler writes to a node:http ServerResponse, but Elysia serves Bun's
  // web Request and Response. So the exporter collects, and its serializer class renders.
  private readonly serializer = new PrometheusSerializer()
  private endpoints: readonly EndpointPlan[] = []

  constructor(private readonly source: MetricsSource) {
    const histograms = new LatencyHistogramProducer(source.stats, [
      {
        name: 'tailgate.request.duration',
        description: 'Time from a task reaching the executor to its response, by endpoint.',
        series: () => this.endpoints.map((e) => ({ slot: e.statsSlot, attributes: labels(e) })),
      },
      {
        name: 'tailgate.backend.duration',
        description: "Time from a race's first attempt to the winning response, by backend.",
        series: () => this.backendSeries(),
      },
    ])
    this.exporter = new PrometheusExporter({
      preventServerStart: true,
      metricProducers: [histograms],
    })
    const provider = new MeterProvider({
      resource: resourceFromAttributes({
        'service.name': 'tailgate',
        'service.version': packageJson.version,
      }),
      readers: [this.exporter],
    })
    const meter = provider.getMeter('tailgate', packageJson.version)
    this.registerEndpointInstruments(meter)
    this.registerBackendInstruments(meter)
    this.registerPoolInstruments(meter)
  }

  /** Collects every instrument for the given endpoints and renders the Prometheus text. */
  async scrape(endpoints: readonly EndpointPlan[]): Promise<Response> {
    this.endpoints = endpoints
    const { resourceMetrics, errors } = await this.exporter.collect()
    if (errors.length > 0) log.warn({ errors: errors.map(String) }, 'metrics collection failed')
    const text = this.serializer.serialize(resourceMetrics)
    return new Response(text, { headers: { 'content-type': CONTENT_TYPE } })
  }

  private registerEndpointInstruments(meter: Meter): void {
    const requests = meter.createObservableCounter('tailgate.requests', {
      description: 'Responses of an endpoint to client requests, by status class.',
      unit: '{request}',
    })
    requests.addCallback((result) =>
      this.forEndpoints((endpoint, slot, attributes) => {
        for (const [statusClass, field] of STATUS_CLASSES) {
          const value = this.read(slot, field)
          result.observe(value, { ...attributes, 'tailgate.status_class': statusClass })
        }
      }),
    )
    this.counter(
      meter,
      'tailgate.requests.partial',
      '{request}',
      Field.partial,
      'endpoint',
      'Responses with data from only some of the backends (X-KrakenD-Completed: false).',
    )
  }

  private registerBackendInstruments(meter: Meter): void {
    this.counter(
      meter,
      'tailgate.backend.races',
      '{race}',
      Field.requests,
      'backend',
      'Races run, one per client request that reached the backend.',
    )
    this.counter(
      meter,
      'tailgate.backend.attempts',
      '{attempt}',
      Field.attempts,
      'backend',
      'Attempts started, hedges included.',
    )
    this.counter(
      meter,
      'tailgate.backend.hedges',
      '{attempt}',
      Field.hedges,
      'backend',
      'Attempts beyond the first of each race.',
    )

    const wins = meter.createObservableCounter('tailgate.backend.wins', {
      description: 'Races won, by the index of the winning attempt.',
      unit: '{race}',
    })
    wins.addCallback((result) =>
      this.forBackends((slot, attributes) => {
        for (let index = 0; index < MAX_ATTEMPTS; index++) {
          const value = this.read(slot, Field.winsByAttempt + index)
          if (value > 0) result.observe(value, { ...attributes, 'tailgate.attempt.index': index })
        }
      }),
    )

    const losers = meter.createObservableCounter('tailgate.backend.losers', {
      description: 'Losing attempts, aborted or drained (finished within the drain window).',
      unit: '{attempt}',
    })
    losers.addCallback((result) =>
      this.forBackends((slot, attributes) => {
        const aborted = { ...attributes, 'tailgate.loser.outcome': 'aborted' }
        result.observe(this.read(slot, Field.losersAborted), aborted)
        const drained = { ...attributes, 'tailgate.loser.outcome': 'drained' }
        result.observe(this.read(slot, Field.losersDrained), drained)
      }),
    )

    const failures = meter.createObservableCounter('tailgate.backend.failures', {
      description: 'Failed attempts, by kind of failure.',
      unit: '{attempt}',
    })
    failures.addCallback((result) =>
      this.forBackends((slot, attributes) => {
        for (const [kind, field] of FAILURE_KINDS) {
          result.observe(this.read(slot, field), { ...attributes, 'error.type': kind })
        }
      }),
    )

    const extraLoad = meter.createObservableGauge('tailgate.backend.hedging.extra_load', {
      description: 'Extra backend requests caused by hedging: hedges per race since start.',
      unit: '1',
    })
    extraLoad.addCallback((result) =>
      this.forBackends((slot, attributes) => {
        const races = this.read(slot, Field.requests)
        result.observe(races === 0 ? 0 : this.read(slot, Field.hedges) / races, attributes)
      }),
    )
  }

  private registerPoolInstruments(meter: Meter): void {
    const { dispatcher } = this.source
    const queue = meter.createObservableUpDownCounter('tailgate.pool.queue.size', {
      description: 'Tasks waiting for a worker thread.',
      unit: '{task}',
    })
    queue.addCallback((result) => result.observe(dispatcher.queued))
    const utilization = meter.createObservableGauge('tailgate.pool.utilization', {
      description: "Share of the worker pool's concurrent task capacity in use.",
      unit: '1',
    })
    utilization.addCallback((result) => result.observe(dispatcher.utilization))
  }

  /** Registers an observable counter of one stats field, per endpoint or per backend. */
  private counter(
    meter: Meter,
    name: string,
    unit: string,
    field: number,
    scope: 'endpoint' | 'backend',
    description: string,
  ): void {
    const counter = meter.createObservableCounter(name, { description, unit })
    const observe = (result: ObservableResult, slot: number, attributes: Attributes) =>
      result.observe(this.read(slot, field), attributes)
    counter.addCallback((result) =>
      scope === 'endpoint'
        ? this.forEndpoints((_, slot, attributes) => observe(result, slot, attributes))
        : this.forBackends((slot, attributes) => observe(result, slot, attributes)),
    )
  }

  private forEndpoints(
    visit: (endpoint: EndpointPlan, slot: number, attributes: Attributes) => void,
  ) {
    for (const endpoint of this.endpoints) visit(endpoint, endpoint.statsSlot, labels(endpoint))
  }

  private forBackends(visit: (slot: number, attributes: Attributes) => void) {
    for (const endpoint of this.endpoints) {
      for (const backend of endpoint.backends) {
        visit(backend.statsSlot, backendLabels(endpoint, backend))
      }
    }
  }

  private backendSeries(): HistogramSeries[] {
    const series: HistogramSeries[] = []
    this.forBackends((slot, attributes) => series.push({ slot, attributes }))
    return series
  }

  private read(slot: number, field: number): number {
    return this.source.stats.read(slot, field)
  }
}

function labels(endpoint: EndpointPlan): Attributes {
  return { 'http.request.method': endpoint.method, 'http.route': endpoint.path }
}

function backendLabels(endpoint: EndpointPlan, backend: BackendPlan): Attributes {
  return { ...labels(endpoint), 'tailgate.backend.index': backend.index }
}
