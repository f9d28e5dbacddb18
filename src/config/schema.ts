import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { DURATION_PATTERN } from './duration.ts'

// The single source of truth for the config format: KrakenD's version 3 keys that Tailgate reads,
// with defaults beside them. Every object is closed (additionalProperties: false) so that the
// loader can report each unknown key; the loader turns those reports into warnings, not errors,
// because real configs carry keys and extra_config namespaces of features Tailgate does not have.

const closed = { additionalProperties: false }

/** A Go duration string ("2s", "300ms"); a bare number is read as nanoseconds, as KrakenD does. */
export const Duration = Type.Union([
  Type.String({ pattern: DURATION_PATTERN, description: 'Go duration such as "2s" or "300ms"' }),
  Type.Number({ minimum: 0, description: 'nanoseconds' }),
])

const HeaderNames = Type.Array(Type.String({ minLength: 1 }), {
  description: 'Header names forwarded to the backend (case-insensitive); ["*"] forwards all.',
})
const QueryNames = Type.Array(Type.String({ minLength: 1 }), {
  description: 'Query string names forwarded to the backend (case-sensitive); ["*"] forwards all.',
})
const Hosts = Type.Array(Type.String({ minLength: 1 }), {
  description: 'Backend base URLs such as "http://127.0.0.1:8000"; the scheme defaults to http.',
})
const Method = Type.String({
  pattern: '^(GET|POST|PUT|PATCH|DELETE|get|post|put|patch|delete)$',
  description: 'HTTP method: GET, POST, PUT, PATCH or DELETE (case-insensitive).',
})

/** Tailgate's own namespace, accepted at service and endpoint level. */
export const HedgingOptions = Type.Object(
  {
    idempotent: Type.Optional(
      Type.Boolean({
        description:
          'Declares the backends idempotent, which allows concurrent_calls > 1 on POST and PATCH.',
      }),
    ),
    loser_drain: Type.Optional(Duration),
  },
  closed,
)

/** Tailgate's tracing settings, at service level; OTEL_* environment variables take precedence. */
export const TelemetryOptions = Type.Object(
  {
    service_name: Type.Optional(
      Type.String({ minLength: 1, description: 'service.name of the spans; default "tailgate".' }),
    ),
    otlp_endpoint: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description:
          'Base URL of an OTLP/HTTP receiver such as "http://127.0.0.1:4318"; /v1/traces is appended. Setting it turns tracing on.',
      }),
    ),
    otlp_protocol: Type.Optional(
      Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')], {
        description: 'OTLP encoding; default http/protobuf.',
      }),
    ),
    sample_rate: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          'Share of new traces sampled (0..1); a client traceparent keeps its own decision.',
      }),
    ),
  },
  closed,
)

export const BackendHttpOptions = Type.Object(
  {
    return_error_code: Type.Optional(Type.Boolean()),
    return_error_details: Type.Optional(Type.String({ minLength: 1 })),
  },
  closed,
)

/** One operation of a flatmap_filter; see workers/flatmap.ts for what each type does. */
export const FlatmapOperation = Type.Object(
  {
    type: Type.String({ description: 'move, del or append; KrakenD ignores other types.' }),
    args: Type.Array(Type.String({ minLength: 1 }), {
      description: 'Dot paths, with * for every key or item: [src, dst] for move and append.',
    }),
  },
  closed,
)
const FlatmapFilter = Type.Array(FlatmapOperation)

/** KrakenD's `proxy` namespace at backend level. */
export const BackendProxyOptions = Type.Object(
  { flatmap_filter: Type.Optional(FlatmapFilter) },
  closed,
)

/** KrakenD's `proxy` namespace at endpoint level. */
export const EndpointProxyOptions = Type.Object(
  {
    sequential: Type.Optional(Type.Boolean()),
    strategy: Type.Optional(Type.Union([Type.Literal('parallel'), Type.Literal('sequential')])),
    sequential_propagated_params: Type.Optional(Type.Array(Type.String())),
    flatmap_filter: Type.Optional(FlatmapFilter),
    static: Type.Optional(
      Type.Object(
        {
          data: Type.Record(Type.String(), Type.Unknown()),
          strategy: Type.Optional(
            Type.String({
              description: 'always (default), success, errored, complete or incomplete.',
            }),
          ),
        },
        closed,
      ),
    ),
    combiner: Type.Optional(Type.String()),
    force_sandboxed_request: Type.Optional(Type.Boolean()),
  },
  closed,
)

/** KrakenD's `router` namespace; Tailgate reads only return_error_msg. */
export const RouterOptions = Type.Object(
  { return_error_msg: Type.Optional(Type.Boolean()) },
  closed,
)

// KrakenD CE also accepts each namespace under its old Go import path (see krakend-names.ts).
const BackendExtraConfig = Type.Object(
  {
    'backend/http': Type.Optional(BackendHttpOptions),
    'github.com/devopsfaith/krakend/http': Type.Optional(BackendHttpOptions),
    proxy: Type.Optional(BackendProxyOptions),
    'github.com/devopsfaith/krakend/proxy': Type.Optional(BackendProxyOptions),
  },
  closed,
)

const EndpointExtraConfig = Type.Object(
  {
    'tailgate/hedging': Type.Optional(HedgingOptions),
    proxy: Type.Optional(EndpointProxyOptions),
    'github.com/devopsfaith/krakend/proxy': Type.Optional(EndpointProxyOptions),
  },
  closed,
)

const ServiceExtraConfig = Type.Object(
  {
    'tailgate/hedging': Type.Optional(HedgingOptions),
    router: Type.Optional(RouterOptions),
    'github_com/luraproject/lura/router/gin': Type.Optional(RouterOptions),
    'tailgate/telemetry': Type.Optional(TelemetryOptions),
  },
  closed,
)

export const Backend = Type.Object(
  {
    '@comment': Type.Optional(Type.String()),
    host: Type.Optional(Hosts),
    url_pattern: Type.String({ minLength: 1 }),
    method: Type.Optional(Method),
    encoding: Type.Optional(
      Type.String({
        description:
          'json (default), safejson, string, xml or no-op; KrakenD reads other names as json.',
      }),
    ),
    is_collection: Type.Optional(Type.Boolean()),
    target: Type.Optional(Type.String()),
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    deny: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    mapping: Type.Optional(Type.Record(Type.String(), Type.String())),
    group: Type.Optional(Type.String({ minLength: 1 })),
    input_headers: Type.Optional(HeaderNames),
    input_query_strings: Type.Optional(QueryNames),
    timeout: Type.Optional(Duration),
    extra_config: Type.Optional(BackendExtraConfig),
  },
  closed,
)

export const Endpoint = Type.Object(
  {
    '@comment': Type.Optional(Type.String()),
    endpoint: Type.String({ pattern: '^/', description: 'Public path; {name} marks a parameter.' }),
    method: Type.Optional(Method),
    backend: Type.Array(Backend),
    concurrent_calls: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
    timeout: Type.Optional(Duration),
    cache_ttl: Type.Optional(Duration),
    input_headers: Type.Optional(HeaderNames),
    input_query_strings: Type.Optional(QueryNames),
    output_encoding: Type.Optional(
      Type.String({
        description:
          'json (default), json-collection, string, xml, yaml, negotiate or no-op; KrakenD renders other names as json.',
      }),
    ),
    extra_config: Type.Optional(EndpointExtraConfig),
  },
  closed,
)

export const Service = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    '@comment': Type.Optional(Type.String()),
    version: Type.Integer({ description: 'Config format version; must be 3.' }),
    name: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    host: Type.Optional(Hosts),
    timeout: Type.Optional(Duration),
    cache_ttl: Type.Optional(Duration),
    output_encoding: Type.Optional(Endpoint.properties.output_encoding),
    endpoints: Type.Optional(Type.Array(Endpoint)),
    extra_config: Type.Optional(ServiceExtraConfig),
  },
  closed,
)

export type ServiceConfig = Static<typeof Service>
export type EndpointConfig = Static<typeof Endpoint>
export type BackendConfig = Static<typeof Backend>
export type HedgingConfig = Static<typeof HedgingOptions>
export type FlatmapOperationConfig = Static<typeof FlatmapOperation>
export type EndpointProxyConfig = Static<typeof EndpointProxyOptions>
export type BackendProxyConfig = Static<typeof BackendProxyOptions>
export type BackendHttpConfig = Static<typeof BackendHttpOptions>
export type RouterConfig = Static<typeof RouterOptions>
export type TelemetryConfig = Static<typeof TelemetryOptions>
export type AnySchema = TSchema
