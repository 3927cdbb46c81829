/**
 * One memory store per test file (with an in-memory BlobStore and the GeoPackage driver given:
 * better-sqlite3 in Node, sql.js in the browser); each test isolates itself in a fresh account with a data source of its main project.
 */
import type { MultiPolygon, Position } from "geojson"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option } from "effect"
import {
  Accounts,
  Actor,
  type AnyModel,
  BlobStore,
  CurrentActor,
  type Group,
  GroupModel,
  Iaso,
  type IasoServices,
  MemoryStore,
  type OrgUnit,
  OrgUnitGroupMembershipModel,
  OrgUnitModel,
  type OrgUnitType,
  OrgUnitTypeModel,
  type PublicRecordOf,
  Records,
  Sources,
  type SourceVersionId,
  ValidationError
} from "@iaso/core"
import type { GpkgDriver } from "@iaso/geopackage"

/** The services a test program may use. */
export type TestServices = IasoServices | BlobStore | GpkgDriver

/** Builds the test runtime (call once per file, dispose in `afterAll`). */
export const makeHarness = (driver: Layer.Layer<GpkgDriver>) => {
  const runtime = ManagedRuntime.make(Layer.mergeAll(Iaso.layer, BlobStore.memory(), driver).pipe(Layer.provide(MemoryStore.layer())))

  const run = <A, E>(actor: Actor, effect: Effect.Effect<A, E, TestServices | CurrentActor>): Promise<A> =>
    runtime.runPromise(Effect.provideService(effect, CurrentActor, actor))
  const exitOf = <A, E>(actor: Actor, effect: Effect.Effect<A, E, TestServices | CurrentActor>): Promise<Exit.Exit<A, unknown>> =>
    runtime.runPromiseExit(Effect.provideService(effect, CurrentActor, actor))

  let accounts = 0
  /** A new account and a data source linked to its main project (no version yet). */
  const freshSource = async (label: string) => {
    accounts += 1
    const setup = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `GPKG ${label} ${accounts}` })))
    const actor = Actor.system(setup.account.id)
    const source = await run(
      actor,
      Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "GeoPackages", projectIds: [setup.project.id] }))
    )
    return { actor, source, setup }
  }

  /** Every record of a model the actor can read. */
  const all = <M extends AnyModel>(actor: Actor, model: M): Promise<ReadonlyArray<Partial<PublicRecordOf<M>>>> =>
    run(
      actor,
      Effect.gen(function* () {
        const records = yield* Records
        const out: Array<Partial<PublicRecordOf<M>>> = []
        let cursor: string | undefined
        do {
          const page = yield* records.list(model, { limit: 10_000, ...(cursor === undefined ? {} : { cursor }) })
          out.push(...page.items)
          cursor = page.cursor
        } while (cursor !== undefined)
        return out
      })
    )

  /** Whether the blob store holds a key. */
  const hasBlob = (actor: Actor, key: string) =>
    run(
      actor,
      Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.has(key))
    )

  /** The units of a version, by reference, in a form tests compare. */
  const pyramidOf = async (actor: Actor, versionId: SourceVersionId): Promise<Map<string, UnitView>> => {
    const units = ((await all(actor, OrgUnitModel)) as ReadonlyArray<OrgUnit>).filter((unit) => unit.versionId === versionId)
    const types = new Map(((await all(actor, OrgUnitTypeModel)) as ReadonlyArray<OrgUnitType>).map((type) => [type.id as string, type]))
    const groups = new Map(((await all(actor, GroupModel)) as ReadonlyArray<Group>).map((group) => [group.id as string, group]))
    const memberships = await all(actor, OrgUnitGroupMembershipModel)
    const byId = new Map(units.map((unit) => [unit.id as string, unit]))
    const refOf = (record: { readonly id: string; readonly sourceRef?: string }) =>
      record.sourceRef === undefined || record.sourceRef === "" ? `iaso:${record.id}` : record.sourceRef
    const out = new Map<string, UnitView>()
    for (const unit of units) {
      const type = unit.orgUnitTypeId === undefined ? undefined : types.get(unit.orgUnitTypeId)
      const parent = unit.parentId === undefined ? undefined : byId.get(unit.parentId)
      const unitGroups = memberships
        .filter((m) => m.orgUnitId === unit.id)
        .flatMap((m) => {
          const group = groups.get(String(m.groupId))
          return group === undefined ? [] : [refOf(group)]
        })
      out.set(refOf(unit), {
        name: unit.name,
        type: type === undefined ? null : [type.name, type.depth ?? null],
        parentRef: parent === undefined ? null : refOf(parent),
        groups: unitGroups.sort(),
        code: unit.code,
        openingDate: unit.openingDate ?? null,
        closedDate: unit.closedDate ?? null,
        validationStatus: unit.validationStatus,
        location: unit.location?.coordinates ?? null,
        geom: unit.geom ?? null,
        simplified: unit.simplifiedGeom ?? null
      })
    }
    return out
  }

  return { runtime, run, exitOf, freshSource, all, hasBlob, pyramidOf, dispose: () => runtime.dispose() }
}

/** A unit as tests compare it. */
export interface UnitView {
  readonly name: string
  readonly type: readonly [name: string, depth: number | null] | null
  readonly parentRef: string | null
  /** Group references, sorted. */
  readonly groups: ReadonlyArray<string>
  readonly code: string
  readonly openingDate: string | null
  readonly closedDate: string | null
  readonly validationStatus: string
  readonly location: Position | null
  readonly geom: MultiPolygon | null
  readonly simplified: MultiPolygon | null
}

/** The typed failure of an exit (throws when it succeeded or failed otherwise). */
export const validationFailure = <A, E>(exit: Exit.Exit<A, E>): ValidationError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, the effect succeeded")
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error) || !(error.value instanceof ValidationError)) throw new Error(`expected a ValidationError: ${Cause.pretty(exit.cause)}`)
  return error.value
}

/** The `_tag` of an exit's typed error (`undefined` when it succeeded or died). */
export const failureTag = <A, E>(exit: Exit.Exit<A, E>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error)) return undefined
  const value: unknown = error.value
  return typeof value === "object" && value !== null && "_tag" in value ? String(value._tag) : undefined
}

/** The number of positions of a multipolygon. */
export const positionCount = (shape: MultiPolygon): number => shape.coordinates.reduce((n, polygon) => n + polygon.reduce((m, ring) => m + ring.length, 0), 0)
