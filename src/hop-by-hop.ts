// Hop-by-hop headers describe one connection and are never relayed (RFC 9110 section 7.6.1).
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
])

/**
 * Lists the header names that a message's Connection header declares hop-by-hop, lower-cased
 * (RFC 9110 section 7.6.1).
 */
export function connectionListed(headers: Headers): string[] {
  const connection = headers.get('connection')
  return connection ? connection.toLowerCase().split(/\s*,\s*/) : []
}
