/**
 * DHIS2 mapping scenarios, through the `Mappings` and `FormVersions` services: idempotent
 * creation per (mapping, form version) with two types on one form version, IASO's messages for
 * unknown targets and question mappings, the copy onto a new form version trimmed to its
 * questions and choices (forms made in code, and IASO's seed forms with their mappings through
 * the fixture loader).
 * @module
 */
import { Effect } from "effect"
import { describe, expect, type TestContext } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { Mappings } from "../dhis2/mappings-service.ts"
import type { FormVersion } from "../forms/form-version.ts"
import { MappingVersionModel } from "../forms/mapping.ts"
import { writeXlsx } from "../forms/xlsx-write.ts"
import { Sources } from "../registry/sources-service.ts"
import type { DataSourceId, FormId, FormVersionId, MappingVersionId, ProjectId } from "../shared/entity-ids.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import { F, formSetup, issuesOf, V } from "./form-world.ts"
import { exitTag, type FixtureLoader, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

const M = Effect.service(Mappings)

/** A survey row: `[type, name]`. */
type Row = readonly [string, string]

/** An XLSForm made in code with a `colors` choice list. */
const xlsForm = (version: string, rows: ReadonlyArray<Row>, colors: ReadonlyArray<string>): Uint8Array =>
  writeXlsx({
    sheets: [
      { name: "survey", rows: [["type", "name", "label"], ...rows.map(([type, name]) => [type, name, name])] },
      { name: "choices", rows: [["list_name", "name", "label"], ...colors.map((color) => ["colors", color, color])] },
      {
        name: "settings",
        rows: [
          ["form_id", "version"],
          ["mapped", version]
        ]
      }
    ]
  })

const DE = (id: string): JsonObject => ({ id, valueType: "NUMBER" })

/** An account with a form, a data source, and a mapping administrator. */
const mappingSetup = async (h: () => Harness) => {
  const base = await formSetup(h)
  const { account, as } = base
  const admin = account.withPermissions(["iaso_mappings", "iaso_forms"])
  const source = await as(
    account.system,
    Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "DHIS2 play", projectIds: [account.projectId as ProjectId] }))
  )
  const form = await base.newForm({ name: "Mapped form" })
  const upload = (bytes: Uint8Array, formId: FormId = form.id, fileName = "mapped.xlsx") =>
    as(
      base.editor,
      Effect.flatMap(V, (v) => v.create({ formId, xlsForm: { bytes, fileName } }))
    )
  return { ...base, admin, dataSourceId: source.id as DataSourceId, form, upload }
}

/** A fixture file's bytes, or `undefined` after skipping the scenario (a failure when the loader requires files). */
const bytesOf = async (fixtures: FixtureLoader | undefined, path: string, context: TestContext): Promise<Uint8Array | undefined> => {
  const bytes = await fixtures?.read(path)
  if (bytes === undefined) {
    if (fixtures?.required === true) throw new Error(`missing fixture ${path}: ../shared/fixtures is required here (CI)`)
    context.skip(fixtures === undefined ? "no fixture loader was given to the suite" : `../shared/fixtures/${path} is absent`)
  }
  return bytes
}

const TESTDATA = "iaso/testdata"

/** IASO's seed forms with their mappings, and what a copy onto the same form's next version keeps. */
const SEED_TABLE: ReadonlyArray<{
  readonly form: string
  readonly mapping: string
  readonly type: "AGGREGATE" | "EVENT" | "EVENT_TRACKER" | "DERIVED"
  /** How many question mappings (or aggregations) the fixture has, and how many the copy keeps. */
  readonly counts: readonly [number, number]
  /** Some keys (or aggregation ids) the copy drops; none when it keeps everything. */
  readonly dropped: ReadonlyArray<string>
}> = [
  // 105 of the 356 keys name no question of the form (e.g. `de359050__15y`: `de359050` is no select question).
  {
    form: "seed-data-command-form.xlsx",
    mapping: "seed-data-command-form-mapping.json",
    type: "AGGREGATE",
    counts: [356, 251],
    dropped: ["de359050__15y", "de388__15y"]
  },
  // `visit_reason__pregnant`: a choice of the select-multiple question `visit_reason`.
  { form: "seed-data-command-cvs_survey.xlsx", mapping: "seed-data-command-cvs_survey-mapping.json", type: "EVENT", counts: [2, 2], dropped: [] },
  // Questions inside the `hh_repeat` repeat group (`hh_name`, `hh_street`...) are questions too.
  {
    form: "seed-data-command-event-tracker-form.xlsx",
    mapping: "seed-data-command-event-tracker-form-mapping.json",
    type: "EVENT_TRACKER",
    counts: [31, 31],
    dropped: []
  },
  // The derived form's questions are the aggregation ids; three aggregations name none of them.
  {
    form: "seed-data-command-form-cvs-stats.xlsx",
    mapping: "seed-data-command-cvs-form-mapping.json",
    type: "DERIVED",
    counts: [6, 3],
    dropped: ["satisfaction_score_count_gt_eleven", "satisfaction_score_sum", "satisfaction_score_sum_with_default"]
  }
]

/** The keys of a version's question mappings, or the ids of its aggregations. */
const keysOf = (json: JsonObject): ReadonlyArray<string> => {
  const aggregations = json["aggregations"]
  if (Array.isArray(aggregations)) return aggregations.map((item) => String((item as JsonObject)["id"]))
  return Object.keys((json["question_mappings"] ?? {}) as JsonObject)
}

/** Registers the mapping scenarios. */
export const mappingScenarios = (h: () => Harness, fixtures: FixtureLoader | undefined): void => {
  describe("DHIS2 mappings", () => {
    scenario("creating a mapping version twice gives the same version, and a second type on the same form version gets its own", async () => {
      const w = await mappingSetup(h)
      const v1 = await w.upload(xlsForm("1", [["integer", "a"]], ["red"]))
      const create = (mappingType: "AGGREGATE" | "EVENT") =>
        w.as(
          w.admin,
          Effect.flatMap(M, (m) =>
            m.createVersion({
              formVersionId: v1.id,
              mappingType,
              dataSourceId: w.dataSourceId,
              ...(mappingType === "AGGREGATE" ? { dataSet: { id: "eZDhcZi6FLP", name: "Vaccination" } } : { program: { id: "eBAyeGv0exc" } })
            })
          )
        )
      const first = await create("AGGREGATE")
      const again = await create("AGGREGATE")
      const event = await create("EVENT")
      expect([again.mapping.id, again.version.id]).toEqual([first.mapping.id, first.version.id])
      expect(first.version.json).toEqual({ data_set_id: "eZDhcZi6FLP", data_set_name: "Vaccination", question_mappings: {} })
      expect(event.version.json).toEqual({ program_id: "eBAyeGv0exc", program_name: "", question_mappings: {} })
      expect([first.mapping.name, first.mapping.mappingType, first.mapping.formId, event.mapping.mappingType]).toEqual(["", "AGGREGATE", w.form.id, "EVENT"])
      expect([first.version.name, event.version.name]).toEqual([first.mapping.id, event.mapping.id])
      const listed = await w.as(
        w.admin,
        Effect.flatMap(M, (m) => m.versions({ formVersionId: v1.id }))
      )
      expect(listed.map((version) => version.id).sort()).toEqual([first.version.id, event.version.id].sort())
    })

    scenario("an unknown form version or data source answers IASO's “object doesn't exist”, a missing data set “This field is required.”", async () => {
      const w = await mappingSetup(h)
      const v1 = await w.upload(xlsForm("1", [["integer", "a"]], ["red"]))
      const other = await mappingSetup(h)
      const attempt = (formVersionId: FormVersionId, dataSourceId: DataSourceId, withDataSet = true) =>
        w.exitAs(
          w.admin,
          Effect.flatMap(M, (m) =>
            m.createVersion({ formVersionId, mappingType: "AGGREGATE", dataSourceId, ...(withDataSet ? { dataSet: { id: "ds" } } : {}) })
          )
        )
      expect(issuesOf(await attempt("missing" as FormVersionId, w.dataSourceId))).toEqual([{ path: ["formVersionId"], message: "object doesn't exist" }])
      expect(issuesOf(await attempt(v1.id, other.dataSourceId))).toEqual([{ path: ["dataSourceId"], message: "object doesn't exist" }])
      expect(issuesOf(await attempt(v1.id, w.dataSourceId, false))).toEqual([{ path: ["dataSet"], message: "This field is required." }])
      const forbidden = await w.exitAs(
        w.editor,
        Effect.flatMap(M, (m) => m.versions())
      )
      expect(exitTag(forbidden)).toBe("Forbidden")
      expect(await w.harness.inspectAccount(MappingVersionModel, w.account.accountId)).toEqual([])
    })

    scenario("question mappings merge per question with IASO's messages, unmap removes, and nothing is stored on a refusal", async () => {
      const w = await mappingSetup(h)
      const v1 = await w.upload(
        xlsForm(
          "1",
          [
            ["integer", "a"],
            ["integer", "b"],
            ["select_one colors", "color"]
          ],
          ["red", "blue"]
        )
      )
      const event = await w.as(
        w.admin,
        Effect.flatMap(M, (m) => m.createVersion({ formVersionId: v1.id, mappingType: "EVENT", dataSourceId: w.dataSourceId, program: { id: "P1" } }))
      )
      const patch = (questionMappings: Readonly<Record<string, JsonValue>>, id: MappingVersionId = event.version.id) =>
        w.exitAs(
          w.admin,
          Effect.flatMap(M, (m) => m.updateVersion(id, { questionMappings }))
        )
      const refusals: ReadonlyArray<readonly [Readonly<Record<string, JsonValue>>, string, string]> = [
        [{ a: { valueType: "NUMBER" } }, "a", "should have a least an data element id"],
        [{ b: { id: "DE_B", valueType: null } }, "b", "should have a valueType"],
        [{ a: DE("DE_A"), b: { id: "DE_B" } }, "b", "should have a valueType"]
      ]
      for (const [body, question, message] of refusals) {
        expect(issuesOf(await patch(body)), question).toEqual([{ path: ["questionMappings", question], message }])
      }
      expect(
        (
          await w.as(
            w.admin,
            Effect.flatMap(M, (m) => m.getVersion(event.version.id))
          )
        ).version.json
      ).toEqual(event.version.json)
      await patch({ a: DE("DE_A"), b: { type: "neverMapped" }, color: { type: "multiple", values: { red: DE("DE_RED") } } })
      const merged = await patch({ a: { action: "unmap" }, color__blue: DE("DE_BLUE") })
      expect(exitTag(merged)).toBe("Success")
      const stored = await w.as(
        w.admin,
        Effect.flatMap(M, (m) => m.updateVersion(event.version.id, { eventDateSource: "FROM_SUBMISSION_PERIOD" }))
      )
      expect(stored.json).toEqual({
        program_id: "P1",
        program_name: "",
        event_date_source: "FROM_SUBMISSION_PERIOD",
        question_mappings: { b: { type: "neverMapped" }, color: { type: "multiple", values: { red: DE("DE_RED") } }, color__blue: DE("DE_BLUE") }
      })
      // A list only fits EVENT_TRACKER mappings; an event date source only EVENT ones.
      const wrongShape = await patch({ b: [{ dataElement: DE("DE_B"), programStage: "S1" }] })
      expect(issuesOf(wrongShape)?.[0]?.path.slice(0, 3)).toEqual(["json", "question_mappings", "b"])
      const aggregate = await w.as(
        w.admin,
        Effect.flatMap(M, (m) => m.createVersion({ formVersionId: v1.id, mappingType: "AGGREGATE", dataSourceId: w.dataSourceId, dataSet: { id: "D1" } }))
      )
      const dated = await w.exitAs(
        w.admin,
        Effect.flatMap(M, (m) => m.updateVersion(aggregate.version.id, { eventDateSource: "FROM_SUBMISSION_PERIOD" }))
      )
      expect(issuesOf(dated)).toEqual([{ path: ["eventDateSource"], message: "only EVENT mappings have it (this mapping is AGGREGATE)" }])
      const audited = (await w.harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter((row) => row["objectId"] === event.version.id)
      expect(audited.map((row) => row["source"])).toEqual(["MAPPING_VERSION_API", "MAPPING_VERSION_API", "MAPPING_VERSION_API", "MAPPING_VERSION_API"])
    })

    scenario("a new form version copies every mapping version, keeping only the questions and select choices it still has", async () => {
      const w = await mappingSetup(h)
      const v1 = await w.upload(
        xlsForm(
          "1",
          [
            ["integer", "a"],
            ["integer", "b"],
            ["select_one colors", "color"]
          ],
          ["red", "blue"]
        )
      )
      const make = (mappingType: "AGGREGATE" | "DERIVED") =>
        w.as(
          w.admin,
          Effect.flatMap(M, (m) =>
            m.createVersion({
              formVersionId: v1.id,
              mappingType,
              dataSourceId: w.dataSourceId,
              ...(mappingType === "AGGREGATE" ? { dataSet: { id: "D1" } } : {})
            })
          )
        )
      const aggregate = await make("AGGREGATE")
      const derived = await make("DERIVED")
      await w.as(
        w.admin,
        Effect.flatMap(M, (m) =>
          Effect.andThen(
            m.updateVersion(aggregate.version.id, {
              questionMappings: { a: DE("DE_A"), b: DE("DE_B"), color__red: DE("DE_RED"), color__blue: DE("DE_BLUE"), gone: { type: "neverMapped" } }
            }),
            m.updateVersion(derived.version.id, {
              aggregations: [
                { id: "a", questionName: "x", aggregationType: "sum" },
                { id: "b", questionName: "x", aggregationType: "count" }
              ]
            })
          )
        )
      )
      // Version 2: `b` removed, `blue` no longer offered.
      const v2: FormVersion = await w.upload(
        xlsForm(
          "2",
          [
            ["integer", "a"],
            ["select_one colors", "color"]
          ],
          ["red"]
        )
      )
      const copies = await w.as(
        w.admin,
        Effect.flatMap(M, (m) => m.versions({ formVersionId: v2.id }))
      )
      expect(copies.map((copy) => [copy.mappingId, copy.name, copy.json]).sort()).toEqual(
        [
          [
            aggregate.mapping.id,
            aggregate.mapping.id,
            { data_set_id: "D1", data_set_name: "", question_mappings: { a: DE("DE_A"), color__red: DE("DE_RED") } }
          ],
          [derived.mapping.id, derived.mapping.id, { aggregations: [{ id: "a", questionName: "x", aggregationType: "sum" }] }]
        ].sort()
      )
      // The first version keeps its mappings; creating on v2 again finds the copy.
      const again = await make("AGGREGATE")
      expect(again.version.id).toBe(aggregate.version.id)
      const onV2 = await w.as(
        w.admin,
        Effect.flatMap(M, (m) => m.createVersion({ formVersionId: v2.id, mappingType: "AGGREGATE", dataSourceId: w.dataSourceId, dataSet: { id: "D1" } }))
      )
      expect(onV2.version.id).toBe(copies.find((copy) => copy.mappingId === aggregate.mapping.id)?.id)
    })

    describe("IASO's seed forms and mappings", () => {
      for (const row of SEED_TABLE) {
        scenario(`${row.type} ${row.mapping}: a new version of ${row.form} keeps ${row.counts[1]} of ${row.counts[0]} mappings`, async (context) => {
          const xlsx = await bytesOf(fixtures, `${TESTDATA}/${row.form}`, context)
          const mapping = await bytesOf(fixtures, `${TESTDATA}/${row.mapping}`, context)
          if (xlsx === undefined || mapping === undefined) return
          const json = JSON.parse(new TextDecoder().decode(mapping)) as JsonObject
          const w = await mappingSetup(h)
          const form = await w.as(
            w.editor,
            Effect.flatMap(F, (forms) => forms.create({ name: row.form, projectIds: [w.projectId] }))
          )
          const v1 = await w.upload(xlsx, form.id, row.form)
          const target = row.type === "AGGREGATE" ? { dataSet: { id: String(json["data_set_id"]) } } : { program: { id: String(json["program_id"] ?? "none") } }
          const created = await w.as(
            w.admin,
            Effect.flatMap(M, (m) => m.createVersion({ formVersionId: v1.id, mappingType: row.type, dataSourceId: w.dataSourceId, ...target }))
          )
          const tracker =
            row.type === "EVENT_TRACKER"
              ? { trackedEntityType: String(json["tracked_entity_type"]), trackedEntityIdentifier: String(json["tracked_entity_identifier"]) }
              : {}
          const patched = await w.as(
            w.admin,
            Effect.flatMap(M, (m) =>
              m.updateVersion(
                created.version.id,
                row.type === "DERIVED"
                  ? { aggregations: json["aggregations"] as ReadonlyArray<JsonValue> }
                  : { questionMappings: json["question_mappings"] as Readonly<Record<string, JsonValue>>, ...tracker }
              )
            )
          )
          expect(keysOf(patched.json)).toHaveLength(row.counts[0])
          const v2 = await w.upload(xlsx, form.id, row.form)
          const [copy] = await w.as(
            w.admin,
            Effect.flatMap(M, (m) => m.versions({ formVersionId: v2.id }))
          )
          const kept = keysOf(copy?.json ?? {})
          expect(kept).toHaveLength(row.counts[1])
          const before = keysOf(patched.json)
          expect(row.dropped.map((key) => [before.includes(key), kept.includes(key)])).toEqual(row.dropped.map(() => [true, false]))
          // Each copied as it was (key order is not kept by every store: PostgreSQL's jsonb sorts keys).
          const field = row.type === "DERIVED" ? "aggregations" : "question_mappings"
          const pick = (json: JsonObject): unknown =>
            row.type === "DERIVED"
              ? (json[field] as ReadonlyArray<JsonObject>).filter((item) => kept.includes(String(item["id"])))
              : Object.fromEntries(kept.map((key) => [key, (json[field] as JsonObject)[key]]))
          expect(copy?.json[field]).toEqual(pick(patched.json))
        })
      }
    })
  })
}
