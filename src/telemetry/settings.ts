import type { TelemetryConfig } from '../config/schema.ts'
import type { BatchSettings, SamplerSettings, TracingSettings } from '../messages.ts'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { ErrorCode, TailgateError } from '../errors.ts'
import packageJson from '../../package.json'

// Resolves the tracing settings from the standard OTEL_* environment variables and the config's
// "tailgate/telemetry" block. An environment variable takes precedence over the config, because
// the deployment environment is usually more specific about its collector than a config file.
// Tracing is off unless OTEL_TRACES_EXPORTER=otlp, an OTLP endpoint variable or `otlp_endpoint`
// turns it on.
//
// The variables follow the OpenTelemetry SDK environment variable specification. Tailgate reads
// them itself rather than through @opentelemetry/sdk-node, whose automatic setup also installs a
// context manager and instrumentations that the gateway does not use.

export type Environment = Record<string, string | undefined>

const TRACES_PATH = 'v1/traces'
const DEFAULT_ENDPOINT = 'http://localhost:4318'
const DEFAULT_SERVICE_NAME = 'tailgate'
const PROTOCOLS = ['http/protobuf', 'http/json'] as const
const SAMPLERS: Record<string, Omit<SamplerSettings, 'ratio'>> = {
  always_on: { root: 'always_on', parentBased: false },
  always_off: { root: 'always_off', parentBased: false },
  traceidratio: { root: 'traceidratio', parentBased: false },
  parentbased_always_on: { root: 'always_on', parentBased: true },
  parentbased_always_off: { root: 'always_off', parentBased: true },
  parentbased_traceidratio: { root: 'traceidratio', parentBased: true },
}
// Defaults of the batch span processor from the OpenTelemetry SDK specification.
const BATCH_DEFAULTS: BatchSettings = {
  scheduledDelayMillis: 5000,
  exportTimeoutMillis: 30000,
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
}

/** Returns the tracing settings, or null when tracing is off. Throws TG_TELEMETRY_INVALID. */
export function resolveTracing(
  config: TelemetryConfig | undefined,
  env: Environment = process.env,
): TracingSettings | null {
  if (variable(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null
  const exporters = listVariable(env, 'OTEL_TRACES_EXPORTER')
  if (exporters?.includes('none')) return null
  const unsupported = exporters?.filter((name) => name !== 'otlp') ?? []
  if (unsupported.length > 0) {
    invalid(
      `OTEL_TRACES_EXPORTER=${unsupported.join(',')} is not supported; Tailgate exports traces with otlp, or none`,
    )
  }

  const url = resolveUrl(config, env, exporters?.includes('otlp') ?? false)
  if (url === null) return null
  return {
    url,
    protocol: resolveProtocol(config, env),
    sampler: resolveSampler(config, env),
    resource: resolveResource(config, env),
    batch: resolveBatch(env),
  }
}

function resolveUrl(config: TelemetryConfig | undefined, env: Environment, otlp: boolean) {
  const tracesEndpoint = variable(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  if (tracesEndpoint) return checkUrl(tracesEndpoint, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  const endpoint = variable(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  if (endpoint) return tracesUrl(checkUrl(endpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT'))
  if (config?.otlp_endpoint) {
    return tracesUrl(
      checkUrl(config.otlp_endpoint, 'extra_config["tailgate/telemetry"].otlp_endpoint'),
    )
  }
  return otlp ? tracesUrl(DEFAULT_ENDPOINT) : null
}

/** Appends the traces path to a base endpoint, as the specification does for the generic variable. */
function tracesUrl(base: string): string {
  return base.endsWith('/') ? `${base}${TRACES_PATH}` : `${base}/${TRACES_PATH}`
}

function checkUrl(value: string, source: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    invalid(`${source} must be an http:// or https:// URL; got '${value}'`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    invalid(`${source} must be an http:// or https:// URL; got '${value}'`)
  }
  return value
}

function resolveProtocol(config: TelemetryConfig | undefined, env: Environment) {
  const fromEnv =
    variable(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    variable(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  const protocol = fromEnv ?? config?.otlp_protocol ?? 'http/protobuf'
  if (protocol === 'grpc') {
    invalid(
      'OTLP over grpc is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf or http/json',
    )
  }
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    invalid(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json; got '${protocol}'`)
  }
  return protocol as TracingSettings['protocol']
}

function resolveSampler(config: TelemetryConfig | undefined, env: Environment): SamplerSettings {
  const name = variable(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase()
  if (name === undefined) {
    if (config?.sample_rate === undefined) {
      return { root: 'always_on', ratio: 1, parentBased: true }
    }
    return { root: 'traceidratio', ratio: config.sample_rate, parentBased: true }
  }
  const sampler = SAMPLERS[name]
  if (!sampler) {
    invalid(`OTEL_TRACES_SAMPLER must be one of ${Object.keys(SAMPLERS).join(', ')}; got '${name}'`)
  }
  const argument = variable(env, 'OTEL_TRACES_SAMPLER_ARG')
  const ratio = argument === undefined ? 1 : Number(argument)
  if (!(ratio >= 0 && ratio <= 1)) {
    invalid(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1; got '${argument}'`)
  }
  return { ...sampler, ratio }
}

function resolveResource(
  config: TelemetryConfig | undefined,
  env: Environment,
): Record<string, string> {
  const attributes: Record<string, string> = {
    [ATTR_SERVICE_NAME]: config?.service_name ?? DEFAULT_SERVICE_NAME,
    [ATTR_SERVICE_VERSION]: packageJson.version,
  }
  Object.assign(attributes, parseResourceAttributes(variable(env, 'OTEL_RESOURCE_ATTRIBUTES')))
  const serviceName = variable(env, 'OTEL_SERVICE_NAME')
  if (serviceName) attributes[ATTR_SERVICE_NAME] = serviceName
  return attributes
}

/** Parses `key=value,key=value` with percent-encoded keys and values. */
export function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {}
  if (!value) return attributes
  for (const pair of value.split(',')) {
    const at = pair.indexOf('=')
    const key = at > 0 ? decode(pair.slice(0, at).trim()) : null
    if (!key) {
      invalid(`OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas; got '${pair}'`)
    }
    attributes[key] = decode(pair.slice(at + 1).trim()) ?? ''
  }
  return attributes
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

function resolveBatch(env: Environment): BatchSettings {
  return {
    scheduledDelayMillis: integerVariable(
      env,
      'OTEL_BSP_SCHEDULE_DELAY',
      BATCH_DEFAULTS.scheduledDelayMillis,
      0,
    ),
    exportTimeoutMillis: integerVariable(
      env,
      'OTEL_BSP_EXPORT_TIMEOUT',
      BATCH_DEFAULTS.exportTimeoutMillis,
      1,
    ),
    maxQueueSize: integerVariable(env, 'OTEL_BSP_MAX_QUEUE_SIZE', BATCH_DEFAULTS.maxQueueSize, 1),
    maxExportBatchSize: integerVariable(
      env,
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      BATCH_DEFAULTS.maxExportBatchSize,
      1,
    ),
  }
}

function integerVariable(env: Environment, name: string, fallback: number, min: number): number {
  const value = variable(env, name)
  if (value === undefined) return fallback
  const number = Number(value)
  if (!Number.isInteger(number) || number < min) {
    invalid(`${name} must be a whole number ≥ ${min}; got '${value}'`)
  }
  return number
}

/** Reads a variable; an empty or blank value counts as unset, as the specification requires. */
function variable(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim()
  return value ? value : undefined
}

function listVariable(env: Environment, name: string): string[] | undefined {
  const names = variable(env, name)
    ?.split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean)
  return names && names.length > 0 ? names : undefined
}

function invalid(message: string): never {
  throw new TailgateError(ErrorCode.TELEMETRY_INVALID, message)
}
