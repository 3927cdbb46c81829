/**
 * `iaso tree`: a source version's org units as an indented tree (each unit under its parent, in
 * path order), read page by page and printed as it is read, so a large pyramid is never held
 * whole. With `--json`, the same units as a list with their depth and parent.
 * @module
 */
import { listAll, type OrgUnit, OrgUnits, OrgUnitTypeModel, Records } from "@iaso/core"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { commonFlags, sourceVersionFlag } from "../flags.ts"
import { writeOut } from "../output.ts"
import { runCommand } from "../runner.ts"
import { sourceVersion, withSession } from "../session.ts"

/** Units per page read. */
const PAGE = 2000

const FIELDS = ["name", "parentId", "depth", "orgUnitTypeId", "sourceRef", "validationStatus"] as const

/** One unit of `iaso tree --json`. */
const unitJson = (unit: Partial<OrgUnit>, typeName: string | undefined) => ({
  id: unit.id ?? null,
  name: unit.name ?? null,
  ref: unit.sourceRef ?? null,
  parentId: unit.parentId ?? null,
  depth: unit.depth ?? null,
  type: typeName ?? null,
  validationStatus: unit.validationStatus ?? null
})

/** Every page of a paged listing, handed to `each` as it is read. */
const eachPage = <T, E, R>(
  load: (cursor: string | undefined) => Effect.Effect<{ readonly items: ReadonlyArray<T>; readonly cursor?: string }, E, R>,
  each: (items: ReadonlyArray<T>) => Effect.Effect<void, E, R>
): Effect.Effect<void, E, R> =>
  Effect.gen(function* () {
    let cursor: string | undefined
    do {
      const page = yield* load(cursor)
      yield* each(page.items)
      cursor = page.cursor
    } while (cursor !== undefined)
  })

/** `iaso tree`. */
export const treeCommand = Command.make(
  "tree",
  {
    ...commonFlags,
    sourceVersion: sourceVersionFlag("to print"),
    depth: Flag.Int("depth").pipe(
      Flag.withMetavar("N"),
      Flag.withDescription("Print N levels below the roots (0: the roots only; default: every level)"),
      Flag.optional
    )
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "tree", whenInterrupted: "nothing was changed" },
      withSession(
        input,
        { create: false },
        Effect.gen(function* () {
          const version = yield* sourceVersion(input.sourceVersion)
          const orgUnits = yield* OrgUnits
          const records = yield* Records
          const types = new Map(
            (yield* listAll((page) => records.list(OrgUnitTypeModel, page), { select: ["name"] })).map((type) => [String(type.id), type.name ?? ""])
          )
          const typeOf = (unit: Partial<OrgUnit>) => (unit.orgUnitTypeId === undefined ? undefined : types.get(unit.orgUnitTypeId))
          const levels = Option.getOrUndefined(input.depth)
          let first = true
          if (input.json) {
            yield* writeOut(
              `{\n  "account": ${JSON.stringify(input.account)},\n  "sourceVersion": ${JSON.stringify({ id: version.id, number: version.number })},\n  "units": [`
            )
          }
          /** Prints a page of units (a root has depth 1: the indentation is the depth below it). */
          const print = (units: ReadonlyArray<Partial<OrgUnit>>) => {
            if (units.length === 0) return Effect.void
            if (input.json) {
              const text = units.map((unit, index) => `${first && index === 0 ? "" : ","}\n    ${JSON.stringify(unitJson(unit, typeOf(unit)))}`).join("")
              first = false
              return writeOut(text)
            }
            return writeOut(
              units
                .map((unit) => {
                  const type = typeOf(unit)
                  return `${"  ".repeat(Math.max(0, (unit.depth ?? 1) - 1))}${unit.name ?? ""}${type === undefined ? "" : ` [${type}]`}\n`
                })
                .join("")
            )
          }
          yield* eachPage(
            (cursor) => orgUnits.search({ versionId: version.id, parentId: null, select: ["id"], limit: PAGE, ...(cursor === undefined ? {} : { cursor }) }),
            (roots) =>
              Effect.forEach(
                roots,
                ({ id }) =>
                  id === undefined
                    ? Effect.void
                    : eachPage(
                        (cursor) =>
                          orgUnits.hierarchy(id, {
                            select: FIELDS,
                            limit: PAGE,
                            ...(levels === undefined ? {} : { levels }),
                            ...(cursor === undefined ? {} : { cursor })
                          }),
                        print
                      ),
                { discard: true }
              )
          )
          if (input.json) yield* writeOut(`${first ? "" : "\n  "}]\n}\n`)
        })
      )
    )
).pipe(
  Command.withDescription("Print a source version's org units as a tree"),
  Command.withExamples([
    { command: "iaso tree --depth 2", description: "The roots and two levels below them" },
    { command: "iaso tree --json | jq '.units | length'", description: "Count the units" }
  ])
)
