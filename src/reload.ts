import type { Elysia } from 'elysia'
import { ConfigError, loadConfigFile, type LoadedConfig } from './config/load.ts'
import { formatProblem, type ConfigProblem } from './config/problems.ts'
import { compilePlans, type EndpointPlan } from './plan.ts'
import type { StatsRegistry } from './stats.ts'
import type { Dispatcher } from './pool.ts'
import type { PlanSet } from './messages.ts'
import { LiveFront } from './live-front.ts'
import { addHealthRoute } from './health.ts'
import { log } from './log.ts'

// Applies a new version of the config file to a running gateway. A reload validates the whole
// file before it changes anything, so an invalid file leaves the gateway serving the config it
// had. A valid file is compiled into a plan set with the next generation, loaded into every
// thread and then swapped into the HTTP front in one step. Requests already inside the old
// front finish on the old plans, which are retired when the last of them has finished.

export interface ReloaderOptions {
  configFile: string
  loaded: LoadedConfig
  planSet: PlanSet
  stats: StatsRegistry
  dispatcher: Dispatcher
  /** Builds the Elysia app that serves a plan set; the reloader adds `GET /__health` to it. */
  buildApp(planSet: PlanSet): Elysia
  /** Port the server listens on when it came from the config; null when the caller set it. */
  portFromConfig: number | null
  defaultPort: number
}

/** A setting that changed in the file but applies only when the gateway restarts. */
export interface RestartNeed {
  key: string
  running: unknown
  configured: unknown
}

/** The reason the latest version of the file is not served: its errors, or a failed swap. */
export interface ReloadError {
  at: Date
  /** Hash of the rejected text; undefined when the file could not be read. */
  hash?: string
  message: string
  problems: ConfigProblem[]
}

export type ReloadOutcome =
  | { status: 'reloaded'; generation: number; hash: string; restartRequired: RestartNeed[] }
  | { status: 'unchanged'; hash: string }
  | { status: 'rejected'; error: ReloadError; repeated: boolean }

/** The config state that `GET /__health` reports. */
export interface ConfigStatus {
  file: string
  hash: string
  loadedAt: Date
  generation: number
  endpoints: number
  reloads: { succeeded: number; rejected: number }
  lastError: ReloadError | null
  restartRequired: RestartNeed[]
}

export class ConfigReloader {
  readonly front: LiveFront
  private loaded: LoadedConfig
  private planSet: PlanSet
  private readonly state: ConfigStatus
  /** Plan sets replaced by a reload whose requests have not all finished yet, by generation. */
  private readonly draining = new Map<number, PlanSet>()
  /**
   * Highest generation number handed out. A reload that fails after loading its plan set into
   * the workers leaves that generation there, so a number is never used twice.
   */
  private lastGeneration: number
  private running: Promise<ReloadOutcome> | null = null
  private queued: Promise<ReloadOutcome> | null = null

  constructor(private readonly options: ReloaderOptions) {
    this.loaded = options.loaded
    this.planSet = options.planSet
    this.lastGeneration = options.planSet.generation
    this.state = {
      file: options.configFile,
      hash: options.loaded.hash,
      loadedAt: new Date(),
      generation: options.planSet.generation,
      endpoints: options.planSet.endpoints.length,
      reloads: { succeeded: 0, rejected: 0 },
      lastError: null,
      restartRequired: [],
    }
    this.front = new LiveFront(this.buildApp(options.planSet), options.planSet.generation)
  }

  get config(): LoadedConfig {
    return this.loaded
  }

  get status(): Readonly<ConfigStatus> {
    return this.state
  }

  /**
   * Reads the config file again and applies it if it is valid and changed. Reloads run one at
   * a time: a request made while one runs is served by a single follow-up reload that reads
   * the file as it is then. The promise never rejects.
   */
  reload(trigger: string): Promise<ReloadOutcome> {
    if (!this.running) return this.start(trigger)
    this.queued ??= this.running.then(() => {
      this.queued = null
      return this.start(trigger)
    })
    return this.queued
  }

  private start(trigger: string): Promise<ReloadOutcome> {
    const run = this.apply(trigger).finally(() => {
      if (this.running === run) this.running = null
    })
    this.running = run
    return run
  }

  private async apply(trigger: string): Promise<ReloadOutcome> {
    const file = this.options.configFile
    let next: LoadedConfig
    try {
      next = loadConfigFile(file)
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : []
      return this.reject(trigger, {
        at: new Date(),
        hash: error instanceof ConfigError ? error.hash : undefined,
        message:
          error instanceof ConfigError
            ? `invalid config: ${countErrors(problems)} error(s)`
            : `reading the config failed: ${(error as Error).message}`,
        problems,
      })
    }

    if (next.hash === this.loaded.hash) {
      // A save can raise several file events; only a reload someone asked for is worth a line.
      const level = trigger === 'file change' ? 'debug' : 'info'
      log[level]({ file, trigger, hash: next.hash }, 'config file unchanged; nothing to reload')
      if (this.state.lastError) {
        log.info({ file, hash: next.hash }, 'config file is back to the version being served')
        this.state.lastError = null
      }
      return { status: 'unchanged', hash: next.hash }
    }

    try {
      return await this.swap(trigger, next)
    } catch (error) {
      // Compiling the plans or loading them into the workers failed, for example because the
      // stats capacity is exhausted or a worker did not acknowledge. Nothing was swapped.
      return this.reject(trigger, {
        at: new Date(),
        hash: next.hash,
        message: `reload failed: ${(error as Error).message}`,
        problems: [],
      })
    }
  }

  private async swap(trigger: string, next: LoadedConfig): Promise<ReloadOutcome> {
    const generation = ++this.lastGeneration
    const inUse = statsSlotsOf([this.planSet, ...this.draining.values()])
    const planSet: PlanSet = {
      generation,
      endpoints: compilePlans(next.config, this.options.stats, inUse),
    }
    const app = this.buildApp(planSet)
    await this.options.dispatcher.load(planSet)

    const previous = this.planSet
    const drained = this.front.swap(app, generation)
    this.loaded = next
    this.planSet = planSet
    this.draining.set(previous.generation, previous)
    void drained.then(() => this.retire(previous.generation))

    const restartRequired = this.restartNeeds(next)
    Object.assign(this.state, {
      hash: next.hash,
      loadedAt: new Date(),
      generation,
      endpoints: planSet.endpoints.length,
      lastError: null,
      restartRequired,
    })
    this.state.reloads.succeeded++
    this.logReloaded(trigger, next, previous, planSet, restartRequired)
    return { status: 'reloaded', generation, hash: next.hash, restartRequired }
  }

  // Logs a rejected version once, because the watcher can see one save several times and a
  // later SIGHUP without a new save adds nothing new.
  private reject(trigger: string, error: ReloadError): ReloadOutcome {
    const previous = this.state.lastError
    const repeated =
      previous !== null &&
      previous.hash === error.hash &&
      previous.message === error.message &&
      sameProblems(previous.problems, error.problems)
    if (repeated) return { status: 'rejected', error: previous, repeated }

    this.state.lastError = error
    this.state.reloads.rejected++
    for (const problem of error.problems) {
      const fields = { file: problem.file, path: problem.path, line: problem.line }
      if (problem.severity === 'error') log.error(fields, formatProblem(problem))
      else log.warn(fields, formatProblem(problem))
    }
    log.error(
      {
        file: this.options.configFile,
        trigger,
        hash: error.hash,
        generation: this.planSet.generation,
      },
      `config not reloaded (${error.message}); still serving generation ${this.planSet.generation} (hash ${this.loaded.hash})`,
    )
    return { status: 'rejected', error, repeated }
  }

  // Retires every generation older than the oldest one that still has requests in the front.
  private retire(generation: number): void {
    this.draining.delete(generation)
    const oldest = Math.min(this.planSet.generation, ...this.draining.keys())
    this.options.dispatcher.retire(oldest)
  }

  private buildApp(planSet: PlanSet): Elysia {
    return addHealthRoute(this.options.buildApp(planSet), () => this.state)
  }

  private restartNeeds(next: LoadedConfig): RestartNeed[] {
    const running = this.options.portFromConfig
    if (running === null) return []
    const configured = next.config.port ?? this.options.defaultPort
    return configured === running ? [] : [{ key: 'port', running, configured }]
  }

  private logReloaded(
    trigger: string,
    next: LoadedConfig,
    previous: PlanSet,
    planSet: PlanSet,
    restartRequired: RestartNeed[],
  ): void {
    const file = this.options.configFile
    for (const warning of next.warnings) {
      log.warn({ file, path: warning.path, line: warning.line }, formatProblem(warning))
    }
    const changes = diffEndpoints(previous.endpoints, planSet.endpoints)
    log.info(
      { file, trigger, hash: next.hash, generation: planSet.generation, ...changes },
      `config reloaded: generation ${planSet.generation} with ${planSet.endpoints.length} endpoints (${changes.added.length} added, ${changes.removed.length} removed, ${changes.changed.length} changed)`,
    )
    for (const need of restartRequired) {
      log.warn(
        { file, key: need.key, running: need.running, configured: need.configured },
        `config ${need.key} changed from ${need.running} to ${need.configured}; restart the gateway to apply it, the rest of the file is applied`,
      )
    }
  }
}

/** Lists the endpoint keys (`METHOD /path`) that a reload adds, removes or changes. */
export function diffEndpoints(before: EndpointPlan[], after: EndpointPlan[]) {
  const old = new Map(before.map((plan) => [plan.key, JSON.stringify(plan)]))
  const added: string[] = []
  const changed: string[] = []
  for (const plan of after) {
    const was = old.get(plan.key)
    if (was === undefined) added.push(plan.key)
    else if (was !== JSON.stringify(plan)) changed.push(plan.key)
    old.delete(plan.key)
  }
  return { added, removed: [...old.keys()], changed }
}

/** Lists the stats slots that the endpoints and backends of plan sets write to. */
function statsSlotsOf(planSets: PlanSet[]): Set<number> {
  const slots = new Set<number>()
  for (const planSet of planSets) {
    for (const endpoint of planSet.endpoints) {
      slots.add(endpoint.statsSlot)
      for (const backend of endpoint.backends) slots.add(backend.statsSlot)
    }
  }
  return slots
}

function countErrors(problems: ConfigProblem[]): number {
  return problems.filter((problem) => problem.severity === 'error').length
}

function sameProblems(a: ConfigProblem[], b: ConfigProblem[]): boolean {
  return (
    a.length === b.length &&
    a.every((problem, i) => formatProblem(problem) === formatProblem(b[i]!))
  )
}
