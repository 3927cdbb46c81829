/**
 * The calls of {@link Mappings} (see `mappings-service.ts` for the rules), loaded by the service
 * when it is first called: an app that never edits a DHIS2 mapping leaves them out of its
 * starting code.
 * @module
 */
import { Effect, Result } from "effect"
import { type Form, FormModel } from "../forms/form.ts"
import { type FormVersion, FormVersionModel } from "../forms/form-version.ts"
import {
  MappingModel,
  type MappingType,
  type MappingVersion,
  MappingVersionModel,
  QUESTION_MAPPING_MULTIPLE,
  QUESTION_MAPPING_NEVER_MAPPED
} from "../forms/mapping.ts"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { DataSourceModel } from "../registry/sources.ts"
import type { MappingVersionId } from "../shared/entity-ids.ts"
import { NotFound, ValidationError } from "../shared/errors.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import type { FieldCondition } from "../shared/conditions.ts"
import { chunksOf, IN_CHUNK } from "../shared/reads.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { checkMappingJson } from "./mapping-json.ts"
import {
  MAPPING_AUDIT_SOURCE,
  MappingMessages,
  type Mappings,
  type MappingVersionCreate,
  type MappingVersionPatch,
  type MappingVersionSearch
} from "./mappings-service.ts"

const PERMISSION = ["iaso_mappings"]

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)

/** The initial JSON of a version of `type`, or the field that is missing. */
const initialJson = (input: MappingVersionCreate): Effect.Effect<JsonObject, ValidationError> => {
  if (input.mappingType === "DERIVED") return Effect.succeed({ aggregations: [] })
  const [field, prefix, target] = input.mappingType === "AGGREGATE" ? ["dataSet", "data_set", input.dataSet] : ["program", "program", input.program]
  if (target === undefined || target.id.trim() === "") return Effect.fail(ValidationError.at([field], "This field is required."))
  return Effect.succeed({ [`${prefix}_id`]: target.id, [`${prefix}_name`]: target.name ?? "", question_mappings: {} })
}

/** The merged question mappings, or IASO's error at `questionMappings.<question>`. */
const mergeQuestionMappings = (current: JsonObject, changes: Readonly<Record<string, JsonValue>>): Effect.Effect<JsonObject, ValidationError> =>
  Effect.gen(function* () {
    // A Map, not an object: a question named `__proto__` (a valid XML name) stays a key.
    const merged = new Map<string, JsonValue>(Object.entries(current))
    for (const [question, value] of Object.entries(changes)) {
      const path = ["questionMappings", question]
      if (Array.isArray(value)) {
        merged.set(question, value)
        continue
      }
      if (!isObject(value)) return yield* ValidationError.at(path, "should be an object or a list")
      if (value["action"] === "unmap") {
        merged.delete(question)
        continue
      }
      if (value["type"] !== QUESTION_MAPPING_MULTIPLE && value["type"] !== QUESTION_MAPPING_NEVER_MAPPED) {
        if (value["id"] === undefined || value["id"] === null) return yield* ValidationError.at(path, MappingMessages.noDataElementId)
        if (value["valueType"] === undefined || value["valueType"] === null) return yield* ValidationError.at(path, MappingMessages.noValueType)
      }
      merged.set(question, value)
    }
    return Object.fromEntries(merged) as Record<string, JsonValue>
  })

/** The calls of {@link Mappings}. */
export const makeMappings = (repos: Repositories): Mappings["Service"] => {
  /** Runs `body` as the current actor, once it holds `iaso_mappings`. */
  const guarded = <A, E>(action: string, body: (actor: Actor) => Effect.Effect<A, E>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, PERMISSION, action), body(actor)))

  /** A form version of a live form of the account, else IASO's error at `field`. */
  const liveFormVersion = (actor: Actor, id: string) =>
    Effect.gen(function* () {
      const version = yield* repos.get(FormVersionModel, actor.accountId, id)
      const form = yield* repos.get(FormModel, actor.accountId, version.formId)
      if (form.deletedAt !== undefined) return yield* NotFound.of("FormVersion", id)
      return version
    })

  const first = <A>(items: ReadonlyArray<A>): A | undefined => items[0]

  const createVersion = (actor: Actor, input: MappingVersionCreate) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const formVersion = yield* liveFormVersion(actor, input.formVersionId).pipe(
          Effect.catchTag("NotFound", () => Effect.fail(ValidationError.at(["formVersionId"], MappingMessages.missing)))
        )
        yield* repos
          .get(DataSourceModel, actor.accountId, input.dataSourceId)
          .pipe(Effect.catchTag("NotFound", () => Effect.fail(ValidationError.at(["dataSourceId"], MappingMessages.missing))))
        const json = yield* initialJson(input)
        const found = yield* repos
          .list(MappingModel, actor.accountId, {
            where: [
              { field: "formId", op: "eq", value: formVersion.formId },
              { field: "dataSourceId", op: "eq", value: input.dataSourceId },
              { field: "mappingType", op: "eq", value: input.mappingType }
            ],
            orderBy: [{ field: "createdAt" }],
            limit: 1
          })
          .pipe(orDieOnInvalidListing(MappingModel))
        const existing = first(found.items)
        const mapping =
          existing ??
          (yield* repos.insert(MappingModel, actor.accountId, {
            name: "",
            dataSourceId: input.dataSourceId,
            formId: formVersion.formId,
            mappingType: input.mappingType
          }))
        if (existing === undefined) yield* audit(repos, actor, MAPPING_AUDIT_SOURCE, MappingModel, [{ id: mapping.id, after: mapping }])
        const versions = yield* repos
          .list(MappingVersionModel, actor.accountId, {
            where: [
              { field: "mappingId", op: "eq", value: mapping.id },
              { field: "formVersionId", op: "eq", value: formVersion.id }
            ],
            limit: 1
          })
          .pipe(orDieOnInvalidListing(MappingVersionModel))
        const known = first(versions.items)
        if (known !== undefined) return { mapping, version: known }
        const version = yield* repos.insert(MappingVersionModel, actor.accountId, {
          name: mapping.id,
          json,
          formVersionId: formVersion.id,
          mappingId: mapping.id
        })
        yield* audit(repos, actor, MAPPING_AUDIT_SOURCE, MappingVersionModel, [{ id: version.id, after: version }])
        return { mapping, version }
      })
    )

  /** A version whose form version is visible, with its mapping. */
  const visible = (actor: Actor, id: string) =>
    Effect.gen(function* () {
      const version = yield* repos.get(MappingVersionModel, actor.accountId, id)
      yield* liveFormVersion(actor, version.formVersionId).pipe(Effect.catchTag("NotFound", () => Effect.fail(NotFound.of("MappingVersion", id))))
      if (version.mappingId === undefined) return yield* NotFound.of("MappingVersion", id)
      const mapping = yield* repos.get(MappingModel, actor.accountId, version.mappingId)
      return { mapping, version }
    })

  const updateVersion = (actor: Actor, id: MappingVersionId, patch: MappingVersionPatch) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const { mapping, version } = yield* visible(actor, id)
        const type = mapping.mappingType
        const only = (field: keyof MappingVersionPatch, allowed: MappingType) =>
          patch[field] !== undefined && type !== allowed
            ? Effect.fail(ValidationError.at([field], `only ${allowed} mappings have it (this mapping is ${type})`))
            : Effect.void
        yield* only("eventDateSource", "EVENT")
        yield* only("aggregations", "DERIVED")
        yield* only("trackedEntityType", "EVENT_TRACKER")
        yield* only("trackedEntityIdentifier", "EVENT_TRACKER")
        if (patch.questionMappings !== undefined && type === "DERIVED") {
          return yield* ValidationError.at(["questionMappings"], "DERIVED mappings have aggregations, not question mappings")
        }
        const json: Record<string, JsonValue> = { ...version.json }
        if (patch.questionMappings !== undefined) {
          const current = version.json["question_mappings"]
          json["question_mappings"] = yield* mergeQuestionMappings(isObject(current) ? current : {}, patch.questionMappings)
        }
        if (patch.eventDateSource !== undefined) json["event_date_source"] = patch.eventDateSource
        if (patch.aggregations !== undefined) json["aggregations"] = [...patch.aggregations]
        if (patch.trackedEntityType !== undefined) json["tracked_entity_type"] = patch.trackedEntityType
        if (patch.trackedEntityIdentifier !== undefined) json["tracked_entity_identifier"] = patch.trackedEntityIdentifier
        const checked = checkMappingJson(type, json)
        if (Result.isFailure(checked)) return yield* ValidationError.fromSchemaError(checked.failure, ["json"])
        const after = yield* repos.update(MappingVersionModel, actor.accountId, id, { json: checked.success })
        yield* audit(repos, actor, MAPPING_AUDIT_SOURCE, MappingVersionModel, [{ id, before: version, after }])
        return after
      })
    )

  /** The rows of `model` whose `id` is among `ids`, a chunk of ids per listing. */
  const byIds = <M extends typeof FormVersionModel | typeof FormModel>(actor: Actor, model: M, ids: ReadonlyArray<string>) =>
    Effect.forEach(chunksOf([...new Set(ids)], IN_CHUNK), (chunk) =>
      listAll((page) => repos.list(model, actor.accountId, page), { where: [{ field: "id", op: "in", value: chunk }] }).pipe(orDieOnInvalidListing(model))
    ).pipe(Effect.map((pages) => pages.flat()))

  const versions = (actor: Actor, search: MappingVersionSearch) =>
    Effect.gen(function* () {
      const where: Array<FieldCondition> = []
      if (search.formVersionId !== undefined) where.push({ field: "formVersionId", op: "eq", value: search.formVersionId })
      if (search.mappingId !== undefined) where.push({ field: "mappingId", op: "eq", value: search.mappingId })
      const rows: ReadonlyArray<MappingVersion> = yield* listAll((page) => repos.list(MappingVersionModel, actor.accountId, page), {
        where,
        orderBy: [{ field: "createdAt" }, { field: "id" }]
      }).pipe(orDieOnInvalidListing(MappingVersionModel))
      // Only the versions of live forms (of the form asked for) are listed.
      const formVersions = (yield* byIds(
        actor,
        FormVersionModel,
        rows.map((row) => row.formVersionId)
      )) as ReadonlyArray<FormVersion>
      const forms = (yield* byIds(
        actor,
        FormModel,
        formVersions.map((row) => row.formId)
      )) as ReadonlyArray<Form>
      const live = new Set<string>(
        forms.filter((form) => form.deletedAt === undefined && (search.formId === undefined || form.id === search.formId)).map((form) => form.id)
      )
      const visibleVersions = new Set<string>(formVersions.filter((row) => live.has(row.formId)).map((row) => row.id))
      return rows.filter((row) => visibleVersions.has(row.formVersionId))
    })

  return {
    createVersion: (input) => guarded("creating mapping versions", (actor) => createVersion(actor, input)),
    updateVersion: (id, patch) => guarded("changing mapping versions", (actor) => updateVersion(actor, id, patch)),
    getVersion: (id) => guarded("reading mapping versions", (actor) => visible(actor, id)),
    versions: (search) => guarded("reading mapping versions", (actor) => versions(actor, search ?? {})),
    mappings: (formId) =>
      guarded("reading mappings", (actor) =>
        listAll((page) => repos.list(MappingModel, actor.accountId, page), {
          where: formId === undefined ? [] : [{ field: "formId", op: "eq", value: formId }],
          orderBy: [{ field: "createdAt" }, { field: "id" }]
        }).pipe(orDieOnInvalidListing(MappingModel))
      )
  }
}
