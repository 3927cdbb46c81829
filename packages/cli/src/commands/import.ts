/**
 * `iaso import gpkg|geojson|dhis2 FILE`: a pyramid imported into a source version of the
 * account's default data source (its default version unless `--source-version` says otherwise;
 * the import creates a version that does not exist yet), all or nothing, with a progress bar.
 * @module
 */
import { basename } from "node:path"
import { type Dhis2Payload, type IasoError, type PyramidImportResult, PyramidImports, type SourceVersion, ValidationError } from "@iaso/core"
import { importGeoPackage } from "@iaso/geopackage"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { readBytes, readJson } from "../files.ts"
import { commonFlags, descriptionFlag, filesDirectory, filesFlag, sourceVersionFlag, validFlag } from "../flags.ts"
import { type Json, printResult } from "../output.ts"
import { withProgress } from "../progress.ts"
import { Interruption, runCommand } from "../runner.ts"
import { importTarget, Session, withBlobs, withSession } from "../session.ts"

const WHEN_INTERRUPTED = "nothing was changed (the import rolled back)"

const fileArgument = (what: string) => Argument.String("file").pipe(Argument.withMetavar("FILE"), Argument.withDescription(what))

const targetVersionFlag = sourceVersionFlag("to import into (created when missing)")

/** What an import printed: its counts, and the version it wrote. */
const importJson = (file: string, account: string, version: SourceVersion, result: PyramidImportResult): { readonly [key: string]: Json } => ({
  file,
  account,
  sourceVersion: { id: version.id, number: version.number },
  created: result.created,
  updated: result.updated,
  groupsCreated: result.groupsCreated,
  groupsUpdated: result.groupsUpdated,
  typesCreated: result.typesCreated
})

const importText = (file: string, account: string, version: SourceVersion, result: PyramidImportResult, seconds: number): ReadonlyArray<string> => [
  `Imported ${file} into source version ${version.number} of account "${account}" in ${seconds.toFixed(1)} s:`,
  `  org units: ${result.created} created, ${result.updated} updated`,
  `  groups: ${result.groupsCreated} created, ${result.groupsUpdated} updated`,
  `  org-unit types: ${result.typesCreated} created`
]

/** Runs an import in a session (created on first use), timing it. */
const runImport = <A extends PyramidImportResult, R>(
  input: { readonly db: string; readonly schema: Option.Option<string>; readonly account: string; readonly json: boolean },
  work: Effect.Effect<A, IasoError, R>
) =>
  withSession(
    input,
    { create: true, atomic: true },
    Effect.gen(function* () {
      const started = Date.now()
      const result = yield* work
      return { result, seconds: (Date.now() - started) / 1000 }
    })
  )

const gpkg = Command.make(
  "gpkg",
  {
    ...commonFlags,
    sourceVersion: targetVersionFlag,
    valid: validFlag,
    description: descriptionFlag,
    files: filesFlag,
    file: fileArgument("The GeoPackage (IASO's format: level-<depth>-<type> layers and a groups table)")
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "import", whenInterrupted: WHEN_INTERRUPTED },
      Effect.gen(function* () {
        const bytes = yield* readBytes(input.file)
        const signal = yield* Interruption
        const { result, seconds } = yield* withProgress(input.json, (display) =>
          withBlobs(
            filesDirectory(input.db, input.files),
            runImport(
              input,
              Effect.gen(function* () {
                const session = yield* Session
                return yield* importGeoPackage(bytes, {
                  dataSourceId: session.dataSource.id,
                  versionNumber: yield* importTarget(input.sourceVersion),
                  defaultValid: input.valid,
                  fileName: basename(input.file),
                  ...Option.match(input.description, { onNone: () => ({}), onSome: (description) => ({ description }) }),
                  onProgress: display.onProgress,
                  signal
                })
              })
            )
          )
        )
        yield* printResult(
          input.json,
          { ...importJson(input.file, input.account, result.version, result), layers: result.layers.map((layer) => layer.table) },
          () => importText(input.file, input.account, result.version, result, seconds)
        )
      })
    )
).pipe(
  Command.withDescription("Import a GeoPackage pyramid (IASO's format) into a source version"),
  Command.withExamples([
    { command: "iaso import gpkg pyramid.gpkg", description: "Import into the default version of the default account, in iaso.sqlite" },
    {
      command: "iaso import gpkg pyramid.gpkg --db postgres://localhost/iaso --source-version 2 --json",
      description: "Import into version 2, on PostgreSQL, printing the counts as JSON"
    }
  ])
)

const geojson = Command.make(
  "geojson",
  {
    ...commonFlags,
    sourceVersion: targetVersionFlag,
    valid: validFlag,
    description: descriptionFlag,
    file: fileArgument("The FeatureCollection (as `iaso export geojson` writes it: ref, name, parent_ref, group_refs... properties)")
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "import", whenInterrupted: WHEN_INTERRUPTED },
      Effect.gen(function* () {
        const collection = yield* readJson(input.file)
        const signal = yield* Interruption
        const { result, seconds } = yield* withProgress(input.json, (display) =>
          runImport(
            input,
            Effect.gen(function* () {
              const session = yield* Session
              const imports = yield* PyramidImports
              return yield* imports.geoJson(collection, {
                dataSourceId: session.dataSource.id,
                versionNumber: yield* importTarget(input.sourceVersion),
                validationStatus: input.valid ? "VALID" : "NEW",
                ...Option.match(input.description, { onNone: () => ({}), onSome: (description) => ({ description }) }),
                onProgress: display.onProgress,
                signal
              })
            })
          )
        )
        yield* printResult(input.json, importJson(input.file, input.account, result.version, result), () =>
          importText(input.file, input.account, result.version, result, seconds)
        )
      })
    )
).pipe(
  Command.withDescription("Import a GeoJSON FeatureCollection pyramid into a source version"),
  Command.withExamples([{ command: "iaso import geojson pyramid.geojson --valid", description: "Import, marking the units VALID" }])
)

const optionalFile = (name: string, what: string) => Flag.String(name).pipe(Flag.withMetavar("FILE"), Flag.withDescription(what), Flag.optional)

/**
 * The DHIS2 payload of a file: a list of organisation units, one `organisationUnits` response
 * page, or an object with the payload's members (`organisationUnits`, and optionally `levels`,
 * `groups`, `groupSets`); the flags' files add or replace members.
 */
export const dhis2Payload = (
  content: unknown,
  extra: { readonly levels?: unknown; readonly groups?: unknown; readonly groupSets?: unknown }
): Effect.Effect<Dhis2Payload, ValidationError> => {
  if (Array.isArray(content)) return Effect.succeed({ organisationUnits: content, ...extra })
  if (typeof content === "object" && content !== null && "organisationUnits" in content) {
    const members = content as { readonly organisationUnits: unknown; readonly levels?: unknown; readonly groups?: unknown; readonly groupSets?: unknown }
    return Effect.succeed({
      organisationUnits: members.organisationUnits,
      ...(members.levels === undefined ? {} : { levels: members.levels }),
      ...(members.groups === undefined ? {} : { groups: members.groups }),
      ...(members.groupSets === undefined ? {} : { groupSets: members.groupSets }),
      ...extra
    })
  }
  return Effect.fail(ValidationError.at([], "not a DHIS2 payload: expected a list of organisation units or an object with organisationUnits"))
}

const dhis2 = Command.make(
  "dhis2",
  {
    ...commonFlags,
    sourceVersion: targetVersionFlag,
    valid: validFlag,
    description: descriptionFlag,
    update: Flag.Boolean("update").pipe(
      Flag.withDescription("IASO's update mode: add only the units, groups and group sets the version lacks (default: the version must be empty)"),
      Flag.withDefault(false)
    ),
    levels: optionalFile("levels", "GET /api/organisationUnitLevels response (level names)"),
    groups: optionalFile("groups", "GET /api/organisationUnitGroups response"),
    groupSets: optionalFile("group-sets", "GET /api/organisationUnitGroupSets response"),
    file: fileArgument(
      "GET /api/organisationUnits response (a page, a list of pages or of units), or an object with organisationUnits, levels, groups, groupSets"
    )
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "import", whenInterrupted: WHEN_INTERRUPTED },
      Effect.gen(function* () {
        const member = (path: Option.Option<string>) => Option.match(path, { onNone: () => Effect.succeed(undefined), onSome: readJson })
        const levels = yield* member(input.levels)
        const groups = yield* member(input.groups)
        const groupSets = yield* member(input.groupSets)
        const payload = yield* dhis2Payload(yield* readJson(input.file), {
          ...(levels === undefined ? {} : { levels }),
          ...(groups === undefined ? {} : { groups }),
          ...(groupSets === undefined ? {} : { groupSets })
        })
        const signal = yield* Interruption
        const { result, seconds } = yield* withProgress(input.json, (display) =>
          runImport(
            input,
            Effect.gen(function* () {
              const session = yield* Session
              const imports = yield* PyramidImports
              return yield* imports.dhis2(payload, {
                dataSourceId: session.dataSource.id,
                versionNumber: yield* importTarget(input.sourceVersion),
                validationStatus: input.valid ? "VALID" : "NEW",
                update: input.update,
                ...Option.match(input.description, { onNone: () => ({}), onSome: (description) => ({ description }) }),
                onProgress: display.onProgress,
                signal
              })
            })
          )
        )
        yield* printResult(
          input.json,
          {
            ...importJson(input.file, input.account, result.version, result),
            duplicates: result.duplicates,
            skipped: result.skipped,
            warnings: result.warnings.map((warning) => ({ path: [...warning.path], message: warning.message }))
          },
          () => [
            ...importText(input.file, input.account, result.version, result, seconds),
            `  duplicates dropped: ${result.duplicates}, already in the version: ${result.skipped}`,
            ...result.warnings.map((warning) => `  warning at ${JSON.stringify(warning.path)}: ${warning.message}`)
          ]
        )
      })
    )
).pipe(
  Command.withDescription("Import a DHIS2 pyramid (API responses saved as JSON) into a source version"),
  Command.withExamples([
    { command: "iaso import dhis2 orgunits.json --levels levels.json", description: "Import units, naming their types after the DHIS2 levels" }
  ])
)

/** `iaso import`. */
export const importCommand = Command.make("import").pipe(
  Command.withDescription("Import a pyramid from a GeoPackage, a GeoJSON FeatureCollection or a DHIS2 payload"),
  Command.withSubcommands([gpkg, geojson, dhis2])
)
