/**
 * The decoders of outside input the fuzzer drives, each through the SDK's public API on the memory
 * store, as a server would call it: an XLSForm and an XForm previewed as a new form version, an ODK
 * submission parsed and flattened, a GeoJSON collection, a DHIS2 payload and a GeoPackage imported
 * as a new version of a data source; the inputs added since (bulk uploads, bulk users, workflow
 * imports, JSONLogic, mappings, storage logs, sync) are in `decoders-more.ts`. Each decoder has its seeds (IASO's own test files, under
 * `../shared/fixtures/iaso`), how an input is made from a seed (`mutate.ts`), and how an input runs.
 * An input's outcome is a value, a typed failure (the SDK's tagged errors, or a reader's message),
 * or a defect (anything else: a thrown exception, a defect or interruption of the Effect, and a
 * `StorageError`, which the memory store never answers but for input that should have been refused).
 * @module
 */
import {
  Accounts,
  Actor,
  CurrentActor,
  type DataSourceId,
  type ProjectId,
  type SourceVersionId,
  type FormId,
  Forms,
  FormVersions,
  flattenSubmission,
  Iaso,
  importDhis2Pyramid,
  importGeoJsonPyramid,
  MemoryStore,
  Sources,
  BlobStore
} from "@iaso/core"
import { parseSubmission } from "@iaso/core/submission-xml"
import { exportGeoJsonPyramid } from "@iaso/core/pyramid"
import { importGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option, Result } from "effect"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { moreDecoders } from "./decoders-more.ts"
import { gpkgMutators } from "./gpkg-mutators.ts"
import { type Json, mutateJson, mutateWith, type Rand, xlsxMutators, xmlMutators } from "./mutate.ts"

/** What one input gave. */
export type Outcome = { readonly kind: "value" } | { readonly kind: "typed"; readonly tag: string } | { readonly kind: "defect"; readonly message: string }

/** One input: how it was made, its bytes for the record (what a regression test replays), and its run. */
export interface FuzzInput {
  readonly how: string
  readonly bytes: Uint8Array
  readonly run: () => Promise<Outcome>
}

/** A decoder under fuzzing. */
export interface Decoder {
  readonly name: string
  /** Makes input `index` from the seeds. */
  readonly input: (rand: Rand) => FuzzInput
}

/** The files under a folder whose names end with `extension`, recursively. */
export const filesUnder = (root: string, extension: string): Array<string> => {
  const out: Array<string> = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith(extension)) out.push(path)
    }
  }
  walk(root)
  return out
}

/** The outcome of an Effect's exit. */
export const outcomeOf = (exit: Exit.Exit<unknown, unknown>): Outcome => {
  if (Exit.isSuccess(exit)) return { kind: "value" }
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) {
    const tag = (error.value as { readonly _tag?: unknown } | null)?._tag
    // The memory store never fails by itself: a StorageError here is bad input that reached storage.
    if (tag === "StorageError") return { kind: "defect", message: `a StorageError: ${String((error.value as { readonly message?: unknown }).message)}` }
    if (process.env["FUZZ_DEBUG"]) console.error(tag, String((error.value as { readonly message?: unknown }).message).slice(0, 300))
    if (typeof tag === "string") return { kind: "typed", tag }
    return { kind: "defect", message: `an untagged failure: ${String(error.value)}` }
  }
  return { kind: "defect", message: Cause.pretty(exit.cause).slice(0, 2_000) }
}

/** Runs a synchronous decoder: a thrown exception is a defect. */
export const guarded = (f: () => Outcome): Promise<Outcome> => {
  try {
    return Promise.resolve(f())
  } catch (error) {
    return Promise.resolve({ kind: "defect", message: `threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` })
  }
}

const encoder = new TextEncoder()

/** The records an app is set up with for the decoders; `extras` holds what decoders need made once per app. */
export interface World {
  readonly actor: Actor
  readonly formId: FormId
  readonly dataSourceId: DataSourceId
  readonly projectId: ProjectId
  /** The account's default version. */
  readonly versionId: SourceVersionId
  readonly extras: Map<string, Promise<unknown>>
}

/** An input's effect, given the world and what the decoder needs of it. */
export type Work<A, E, X = undefined> = (world: World, extra: X) => Effect.Effect<A, E, AppServices | CurrentActor>

/** What a decoder needs made once per app (its `key` names it). */
export interface Need<X> {
  readonly key: string
  readonly make: (world: World) => Effect.Effect<X, unknown, AppServices | CurrentActor>
}

/** A JSON value's text for the record (its first 1,000,000 characters). */
export const bytesOfJson = (value: unknown): Uint8Array => {
  try {
    return encoder.encode(String(JSON.stringify(value)).slice(0, 1_000_000))
  } catch {
    return new Uint8Array()
  }
}

/** The app every decoder runs on: the memory store, a fresh one every `recycleEvery` inputs so imports do not accumulate. */
export const appLayer = Layer.mergeAll(Iaso.layer, BetterSqlite3Gpkg.layer, BlobStore.memory()).pipe(Layer.provideMerge(MemoryStore.layer()))
export type AppServices = Layer.Success<typeof appLayer>

export const makeApp = () => {
  const layer = appLayer
  let runtime = ManagedRuntime.make(layer)
  let world: Promise<World> | undefined
  let used = 0
  const recycleEvery = 100

  const setup = (app: typeof runtime) =>
    app.runPromise(
      Effect.gen(function* () {
        const setup = yield* Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.setup({ name: "Fuzz" }))
        const actor = Actor.system(setup.account.id)
        return yield* Effect.gen(function* () {
          const form = yield* Effect.flatMap(Effect.service(Forms), (forms) => forms.create({ name: "Fuzzed", projectIds: [setup.project.id] }))
          const source = yield* Effect.flatMap(Effect.service(Sources), (sources) =>
            sources.createDataSource({ name: "Fuzzed source", projectIds: [setup.project.id] })
          )
          return {
            actor,
            formId: form.id,
            dataSourceId: source.id,
            projectId: setup.project.id,
            versionId: setup.version.id,
            extras: new Map<string, Promise<unknown>>()
          }
        }).pipe(Effect.provideService(CurrentActor, actor))
      })
    )

  /**
   * The exit of `f`'s effect run as the fuzz account's actor on a current app; `need` is what the
   * decoder needs made once per app (a seed's records), given to `f`.
   */
  const exitOf = async <A, E, X = undefined>(f: Work<A, E, X>, need?: Need<X>): Promise<Exit.Exit<A, unknown>> => {
    used += 1
    if (used > recycleEvery) {
      used = 1
      const old = runtime
      runtime = ManagedRuntime.make(layer)
      world = undefined
      await old.dispose()
    }
    world ??= setup(runtime)
    const current = await world
    let extra = undefined as X
    if (need !== undefined) {
      const app = runtime
      let made = current.extras.get(need.key)
      if (made === undefined) {
        made = app.runPromiseExit(Effect.provideService(need.make(current), CurrentActor, current.actor)).then((exit) => {
          if (Exit.isSuccess(exit)) return exit.value
          throw new Error(`making ${need.key} failed: ${Cause.pretty(exit.cause)}`)
        })
        current.extras.set(need.key, made)
      }
      extra = (await made) as X
    }
    return runtime.runPromiseExit(Effect.provideService(f(current, extra), CurrentActor, current.actor))
  }
  return {
    /** The outcome of an input's effect. */
    run: async <A, E, X = undefined>(f: Work<A, E, X>, need?: Need<X>): Promise<Outcome> => outcomeOf(await exitOf(f, need)),
    /** The value of a seed's effect (a failure is the harness's own bug: it throws). */
    value: async <A, E, X = undefined>(f: Work<A, E, X>, need?: Need<X>): Promise<A> => {
      const exit = await exitOf(f, need)
      if (Exit.isSuccess(exit)) return exit.value
      throw new Error(`making a seed failed: ${Cause.pretty(exit.cause)}`)
    },
    dispose: () => runtime.dispose()
  }
}

/** The fuzzed decoders, on seeds read from `fixtures` (IASO's files). */
export const makeDecoders = async (fixtures: string) => {
  const app = makeApp()
  const read = (path: string) => new Uint8Array(readFileSync(path))
  const iaso = join(fixtures, "iaso")

  const xlsForms = filesUnder(iaso, ".xlsx").map((path) => ({ path, bytes: read(path) }))
  const xmls = filesUnder(iaso, ".xml").map((path) => ({ path, bytes: read(path) }))
  const xforms = xmls.filter((file) => /<h:html|<html/.test(new TextDecoder().decode(file.bytes).slice(0, 4_000)))
  const submissions = xmls.filter((file) => Result.isSuccess(parseSubmission(file.bytes)) && !xforms.includes(file))
  const gpkgs = filesUnder(fixtures, ".gpkg").map((path) => ({ path, bytes: read(path) }))
  const dhis2 = join(iaso, "iaso", "tests", "fixtures", "dhis2")
  const json = (name: string): Json => JSON.parse(readFileSync(join(dhis2, name), "utf8")) as Json
  const dhis2Seeds: ReadonlyArray<Json> = [
    { organisationUnits: json("orgunits.json"), levels: json("organisationUnitLevels.json"), groupSets: json("groupsets.json") },
    { organisationUnits: json("orgunits_strange_geom.json") },
    { organisationUnits: [json("orgunits_page1.json"), json("orgunits_page2.json"), json("orgunits.json")], levels: json("organisationUnitLevels.json") }
  ]
  // GeoJSON seeds: the DHIS2 seed imported, then exported as a collection.
  const geoJsonSeed = await app.value((world) =>
    Effect.gen(function* () {
      const imported = yield* importDhis2Pyramid(dhis2Seeds[0] as never, { dataSourceId: world.dataSourceId })
      return yield* exportGeoJsonPyramid(imported.version.id)
    })
  )

  const decoders: ReadonlyArray<Decoder> = [
    {
      name: "xlsform",
      input: (rand) => {
        const seed = rand.pick(xlsForms)
        const { how, bytes } = mutateWith(xlsxMutators, seed.bytes, rand)
        return {
          how: `${how} of ${seed.path.slice(fixtures.length + 1)}`,
          bytes,
          run: () =>
            app.run((world) =>
              Effect.flatMap(Effect.service(FormVersions), (v) => v.preview({ formId: world.formId, xlsForm: { bytes, fileName: "fuzz.xlsx" } }))
            )
        }
      }
    },
    {
      name: "xform",
      input: (rand) => {
        const seed = rand.pick(xforms)
        const { how, bytes } = mutateWith(xmlMutators, seed.bytes, rand)
        return {
          how: `${how} of ${seed.path.slice(fixtures.length + 1)}`,
          bytes,
          run: () => app.run((world) => Effect.flatMap(Effect.service(FormVersions), (v) => v.preview({ formId: world.formId, xform: { content: bytes } })))
        }
      }
    },
    {
      name: "submission",
      input: (rand) => {
        const seed = rand.pick(submissions)
        const { how, bytes } = mutateWith(xmlMutators, seed.bytes, rand)
        return {
          how: `${how} of ${seed.path.slice(fixtures.length + 1)}`,
          bytes,
          run: () =>
            guarded(() => {
              const parsed = parseSubmission(bytes)
              if (Result.isFailure(parsed)) return { kind: "typed", tag: parsed.failure._tag }
              flattenSubmission(parsed.success)
              return { kind: "value" }
            })
        }
      }
    },
    {
      name: "geojson",
      input: (rand) => {
        const { how, value } = mutateJson(geoJsonSeed as unknown as Json, rand)
        return {
          how,
          bytes: bytesOfJson(value),
          run: () => app.run((world) => importGeoJsonPyramid(value, { dataSourceId: world.dataSourceId }))
        }
      }
    },
    {
      name: "dhis2",
      input: (rand) => {
        const { how, value } = mutateJson(rand.pick(dhis2Seeds), rand)
        return {
          how,
          bytes: bytesOfJson(value),
          run: () => app.run((world) => importDhis2Pyramid(value as never, { dataSourceId: world.dataSourceId }))
        }
      }
    },
    {
      name: "geopackage",
      input: (rand) => {
        const seed = rand.pick(gpkgs)
        const { how, bytes } = mutateWith(gpkgMutators, seed.bytes, rand)
        return {
          how: `${how} of ${seed.path.slice(fixtures.length + 1)}`,
          bytes,
          run: () => app.run((world) => importGeoPackage(bytes, { dataSourceId: world.dataSourceId }))
        }
      }
    },
    ...(await moreDecoders(app, fixtures))
  ]
  return { decoders, dispose: app.dispose }
}
