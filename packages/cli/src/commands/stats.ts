/**
 * `iaso stats`: what the account holds: a source version's org units per level and groups, the
 * forms, and the submissions by status (IASO's `READY`, `DUPLICATED`, `EXPORTED`).
 * @module
 */
import { FormModel, GroupModel, Instances, OrgUnits, Records } from "@iaso/core"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { commonFlags, sourceVersionFlag } from "../flags.ts"
import { printResult } from "../output.ts"
import { runCommand } from "../runner.ts"
import { Session, sourceVersion, withSession } from "../session.ts"

/** `iaso stats`. */
export const statsCommand = Command.make("stats", { ...commonFlags, sourceVersion: sourceVersionFlag("to count") }, (input) =>
  runCommand(
    { json: input.json, operation: "stats", whenInterrupted: "nothing was changed" },
    Effect.gen(function* () {
      const stats = yield* withSession(
        input,
        { create: false },
        Effect.gen(function* () {
          const session = yield* Session
          const version = yield* sourceVersion(input.sourceVersion)
          const records = yield* Records
          const perLevel = yield* (yield* OrgUnits).countsPerLevel({ versionId: version.id })
          const groups = yield* records.count(GroupModel, [{ field: "versionId", op: "eq", value: version.id }])
          const forms = yield* records.count(FormModel, [{ field: "deletedAt", op: "isNull" }])
          const byStatus = yield* (yield* Instances).countsByStatus()
          const submissions = { total: 0, ready: 0, duplicated: 0, exported: 0 }
          for (const counts of byStatus) {
            submissions.total += counts.total
            submissions.ready += counts.ready
            submissions.duplicated += counts.duplicated
            submissions.exported += counts.exported
          }
          return {
            account: session.account.name,
            dataSource: { id: session.dataSource.id, name: session.dataSource.name },
            sourceVersion: { id: version.id, number: version.number },
            orgUnits: {
              total: perLevel.reduce((sum, level) => sum + level.count, 0),
              perLevel: perLevel.map((level) => ({ level: level.depth, count: level.count }))
            },
            groups,
            forms,
            submissions
          }
        })
      )
      yield* printResult(input.json, stats, () => [
        `Account "${stats.account}", data source "${stats.dataSource.name}", source version ${stats.sourceVersion.number}`,
        `Org units: ${stats.orgUnits.total}`,
        ...stats.orgUnits.perLevel.map((level) => `  level ${level.level}: ${level.count}`),
        `Groups: ${stats.groups}`,
        `Forms: ${stats.forms}`,
        `Submissions: ${stats.submissions.total} (ready ${stats.submissions.ready}, duplicated ${stats.submissions.duplicated}, exported ${stats.submissions.exported})`
      ])
    })
  )
).pipe(
  Command.withDescription("Count a source version's org units per level and groups, the forms, and the submissions by status"),
  Command.withExamples([{ command: "iaso stats --json", description: "The counts as JSON" }])
)
