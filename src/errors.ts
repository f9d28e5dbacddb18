// Errors with stable codes. A code is never reused for another meaning; README lists each code
// with its cause and fix. Errors cross the worker boundary as plain ErrorInfo objects because
// class instances do not survive structured cloning.

export const ErrorCode = {
  CONFIG_INVALID: 'TG_CONFIG_INVALID',
  ROUTE_NOT_FOUND: 'TG_ROUTE_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'TG_METHOD_NOT_ALLOWED',
  BAD_PATH_PARAM: 'TG_BAD_PATH_PARAM',
  BACKEND_FAILED: 'TG_BACKEND_FAILED',
  BACKEND_TIMEOUT: 'TG_BACKEND_TIMEOUT',
  INTERNAL: 'TG_INTERNAL',
  TELEMETRY_INVALID: 'TG_TELEMETRY_INVALID',
  PORT_IN_USE: 'TG_PORT_IN_USE',
  LISTEN_FAILED: 'TG_LISTEN_FAILED',
} as const

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

/** The serialisable form of an error: what a worker returns and what a client receives. */
export interface ErrorInfo {
  code: ErrorCodeValue
  message: string
  details?: unknown
}

export class TailgateError extends Error {
  readonly code: ErrorCodeValue
  readonly status: number
  readonly details?: unknown

  constructor(code: ErrorCodeValue, message: string, status = 500, details?: unknown) {
    super(message)
    this.name = 'TailgateError'
    this.code = code
    this.status = status
    this.details = details
  }

  toInfo(): ErrorInfo {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** Builds the JSON error response that every gateway-made error uses. */
export function errorResponse(
  status: number,
  info: ErrorInfo,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: info }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}
