import pino from 'pino'

/** The gateway's structured logger; LOG_LEVEL or --log-level sets the level. */
export const log = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
})
