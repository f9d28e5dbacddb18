import { describe, expect, test } from 'bun:test'
import { resolveTracing, parseResourceAttributes } from '../src/telemetry/settings.ts'
import { TailgateError } from '../src/errors.ts'
import { parseConfigText } from '../src/config/load.ts'

function errorOf(run: () => unknown): TailgateError {
  try {
    run()
  } catch (error) {
    return error as TailgateError
  }
  throw new Error('expected an error')
}

describe('tracing settings', () => {
  test('off without variables or config', () => {
    expect(resolveTracing(undefined, {})).toBeNull()
  })

  test('OTEL_TRACES_EXPORTER=otlp uses the default endpoint', () => {
    const settings = resolveTracing(undefined, { OTEL_TRACES_EXPORTER: 'otlp' })
    expect(settings?.url).toBe('http://localhost:4318/v1/traces')
    expect(settings?.protocol).toBe('http/protobuf')
  })

  test('generic endpoint gets the traces path', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }
    expect(resolveTracing(undefined, env)?.url).toBe('http://collector:4318/v1/traces')
  })

  test('traces endpoint is used as is', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom',
    }
    expect(resolveTracing(undefined, env)?.url).toBe('http://traces:9999/custom')
  })

  test('environment takes precedence over config', () => {
    const config = { otlp_endpoint: 'http://from-config:4318', otlp_protocol: 'http/json' as const }
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://from-env:4318' }
    const settings = resolveTracing(config, env)
    expect(settings?.url).toBe('http://from-env:4318/v1/traces')
    expect(settings?.protocol).toBe('http/json')
    const protocol = resolveTracing(config, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })
    expect(protocol?.protocol).toBe('http/protobuf')
    expect(protocol?.url).toBe('http://from-config:4318/v1/traces')
  })

  test('none and OTEL_SDK_DISABLED turn tracing off', () => {
    const config = { otlp_endpoint: 'http://collector:4318' }
    expect(resolveTracing(config, { OTEL_TRACES_EXPORTER: 'none' })).toBeNull()
    expect(resolveTracing(config, { OTEL_SDK_DISABLED: 'true' })).toBeNull()
  })

  test('blank variables count as unset', () => {
    expect(resolveTracing(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeNull()
  })

  test('sample_rate makes a parent-based ratio sampler', () => {
    const settings = resolveTracing({ otlp_endpoint: 'http://c:4318', sample_rate: 0.25 }, {})
    expect(settings?.sampler).toEqual({ root: 'traceidratio', ratio: 0.25, parentBased: true })
  })

  test('OTEL_TRACES_SAMPLER with argument', () => {
    const env = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
    }
    expect(resolveTracing({ sample_rate: 0.1 }, env)?.sampler).toEqual({
      root: 'traceidratio',
      ratio: 0.5,
      parentBased: false,
    })
  })

  test('service name and resource attributes', () => {
    const env = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=edge%20gw',
      OTEL_SERVICE_NAME: 'gateway-eu',
    }
    const resource = resolveTracing({ service_name: 'from-config' }, env)?.resource
    expect(resource?.['service.name']).toBe('gateway-eu')
    expect(resource?.['deployment.environment']).toBe('prod')
    expect(resource?.['team']).toBe('edge gw')
  })

  test('batch variables are read', () => {
    const env = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_BSP_SCHEDULE_DELAY: '100' }
    expect(resolveTracing(undefined, env)?.batch.scheduledDelayMillis).toBe(100)
  })

  const invalid: [string, Record<string, string>, string][] = [
    [
      'grpc protocol',
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'grpc',
    ],
    ['unknown exporter', { OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER=zipkin'],
    ['bad endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'http:// or https://'],
    ['bad sampler', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'xray' }, "got 'xray'"],
    [
      'bad ratio',
      {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '2',
      },
      'from 0 to 1',
    ],
    ['bad delay', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_BSP_SCHEDULE_DELAY: 'soon' }, "got 'soon'"],
  ]
  for (const [name, env, fragment] of invalid) {
    test(`rejects ${name}`, () => {
      const error = errorOf(() => resolveTracing(undefined, env))
      expect(error.code).toBe('TG_TELEMETRY_INVALID')
      expect(error.message).toContain(fragment)
    })
  }

  test('resource attributes without a key are rejected', () => {
    const error = errorOf(() => parseResourceAttributes('=x'))
    expect(error.code).toBe('TG_TELEMETRY_INVALID')
  })
})

describe('tailgate/telemetry config block', () => {
  test('valid block loads without warnings', () => {
    const text = JSON.stringify({
      version: 3,
      extra_config: {
        'tailgate/telemetry': {
          service_name: 'edge',
          otlp_endpoint: 'http://127.0.0.1:4318',
          otlp_protocol: 'http/json',
          sample_rate: 0.5,
        },
      },
    })
    expect(parseConfigText(text, 'krakend.json').warnings).toEqual([])
  })

  test('invalid sample_rate names its path', () => {
    const text = JSON.stringify({
      version: 3,
      extra_config: { 'tailgate/telemetry': { sample_rate: 2 } },
    })
    const error = errorOf(() => parseConfigText(text, 'krakend.json')) as unknown as {
      problems: { path: string; severity: string }[]
    }
    expect(error.problems.map((problem) => problem.path)).toEqual([
      'extra_config["tailgate/telemetry"].sample_rate',
    ])
  })
})
