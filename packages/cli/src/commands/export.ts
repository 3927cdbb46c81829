/**
 * `iaso export gpkg|geojson FILE`: a source version's pyramid written as a GeoPackage (IASO's
 * export format) or a GeoJSON FeatureCollection, whole or not at all (a temporary file renamed
 * into place). `iaso export geojson -` writes the collection to standard output.
 * @module
 */
import { GroupModel, OrgUnitModel, Records } from "@iaso/core"
import { exportGeoJsonPyramid } from "@iaso/core/pyramid"
import { exportGeoPackage } from "@iaso/geopackage"
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { writeWhole } from "../files.ts"
import { commonFlags, sourceVersionFlag } from "../flags.ts"
import { printResult, writeOut } from "../output.ts"
import { withProgress } from "../progress.ts"
import { Interruption, runCommand } from "../runner.ts"
import { sourceVersion, withSession } from "../session.ts"

const WHEN_INTERRUPTED = "nothing was written (the database is unchanged)"

const readVersionFlag = sourceVersionFlag("to export")

const gpkg = Command.make(
  "gpkg",
  {
    ...commonFlags,
    sourceVersion: readVersionFlag,
    file: Argument.String("file").pipe(Argument.withMetavar("FILE"), Argument.withDescription("The GeoPackage to write (replaced when it exists)"))
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "export", whenInterrupted: WHEN_INTERRUPTED },
      Effect.gen(function* () {
        const signal = yield* Interruption
        const { version, bytes, units, groups } = yield* withProgress(input.json, (display) =>
          withSession(
            input,
            { create: false },
            Effect.gen(function* () {
              const version = yield* sourceVersion(input.sourceVersion)
              const records = yield* Records
              const inVersion = [{ field: "versionId", op: "eq", value: version.id }] as const
              const bytes = yield* exportGeoPackage(version.id, { onProgress: display.onProgress, signal })
              return { version, bytes, units: yield* records.count(OrgUnitModel, inVersion), groups: yield* records.count(GroupModel, inVersion) }
            })
          )
        )
        yield* writeWhole(input.file, bytes)
        yield* printResult(
          input.json,
          { file: input.file, account: input.account, sourceVersion: { id: version.id, number: version.number }, units, groups, bytes: bytes.byteLength },
          () => [
            `Exported source version ${version.number} of account "${input.account}" to ${input.file}: ${units} org units, ${groups} groups (${bytes.byteLength} bytes)`
          ]
        )
      })
    )
).pipe(
  Command.withDescription("Export a source version as a GeoPackage (IASO's export format)"),
  Command.withExamples([{ command: "iaso export gpkg pyramid.gpkg --source-version 2", description: "Export version 2 of the default data source" }])
)

const geojson = Command.make(
  "geojson",
  {
    ...commonFlags,
    sourceVersion: readVersionFlag,
    file: Argument.String("file").pipe(
      Argument.withMetavar("FILE"),
      Argument.withDescription("The file to write (replaced when it exists), or - for standard output (then nothing else is printed)")
    )
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "export", whenInterrupted: WHEN_INTERRUPTED },
      Effect.gen(function* () {
        const signal = yield* Interruption
        const toStdout = input.file === "-"
        const { version, collection } = yield* withProgress(input.json || toStdout, (display) =>
          withSession(
            input,
            { create: false },
            Effect.gen(function* () {
              const version = yield* sourceVersion(input.sourceVersion)
              return { version, collection: yield* exportGeoJsonPyramid(version.id, { onProgress: display.onProgress, signal }) }
            })
          )
        )
        const text = JSON.stringify(collection)
        if (toStdout) return yield* writeOut(`${text}\n`)
        yield* writeWhole(input.file, text)
        const bytes = Buffer.byteLength(text)
        yield* printResult(
          input.json,
          {
            file: input.file,
            account: input.account,
            sourceVersion: { id: version.id, number: version.number },
            units: collection.features.length,
            groups: collection.groups.length,
            bytes
          },
          () => [
            `Exported source version ${version.number} of account "${input.account}" to ${input.file}: ${collection.features.length} org units, ${collection.groups.length} groups (${bytes} bytes)`
          ]
        )
      })
    )
).pipe(
  Command.withDescription("Export a source version as a GeoJSON FeatureCollection (the format `iaso import geojson` reads)"),
  Command.withExamples([{ command: "iaso export geojson - | jq '.features | length'", description: "Write the collection to standard output" }])
)

/** `iaso export`. */
export const exportCommand = Command.make("export").pipe(
  Command.withDescription("Export a source version's pyramid as a GeoPackage or GeoJSON"),
  Command.withSubcommands([gpkg, geojson])
)
