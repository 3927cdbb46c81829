/**
 * `iaso ingest DIR`: a folder of ODK submissions (XML and attachments, see `submission-folder.ts`)
 * ingested into the account's forms, each submission on its own (a refused one does not stop the
 * others), in batches, with a progress bar. A submission's form is the account's live form whose
 * `form_id` is the XML root's `id`.
 * @module
 */
import { basename } from "node:path"
import { FormModel, type IasoError, Instances, findIn, NotFound, Records, type SubmissionInput } from "@iaso/core"
import { parseSubmission } from "@iaso/core/submission-xml"
import { Effect, Result } from "effect"
import { Argument, Command } from "effect/cli"
import { exitCodeOf } from "../exit-codes.ts"
import { commonFlags, filesDirectory, filesFlag } from "../flags.ts"
import { errorJson, type Json, printResult, writeErr } from "../output.ts"
import { withProgress } from "../progress.ts"
import { CommandFailed, Interruption, runCommand } from "../runner.ts"
import { withBlobs, withSession } from "../session.ts"
import { readSubmissionFolder } from "../submission-folder.ts"

/** What became of one submission file. */
type Outcome =
  | { readonly file: string; readonly outcome: "created" | "edited" | "unchanged"; readonly instanceId: string }
  | { readonly file: string; readonly outcome: "failed"; readonly error: IasoError }

/** `iaso ingest`. */
export const ingestCommand = Command.make(
  "ingest",
  {
    ...commonFlags,
    files: filesFlag,
    directory: Argument.String("dir").pipe(
      Argument.withMetavar("DIR"),
      Argument.withDescription("The folder: one sub-folder per submission (its XML and attachments), or XML files without attachments")
    )
  },
  (input) =>
    runCommand(
      {
        json: input.json,
        operation: "ingest",
        whenInterrupted:
          "the batch under way rolled back; the submissions of the batches stored before it stay (ingesting the folder again answers them unchanged)"
      },
      Effect.gen(function* () {
        const found = yield* readSubmissionFolder(input.directory)
        const signal = yield* Interruption
        const outcomes = yield* withProgress(input.json, (display) =>
          withBlobs(
            filesDirectory(input.db, input.files),
            withSession(
              input,
              { create: true },
              Effect.gen(function* () {
                const records = yield* Records
                const parsed = found.map((submission) => ({ submission, document: parseSubmission(submission.xml) }))
                const formIds = parsed.flatMap(({ document }) =>
                  Result.isSuccess(document) && document.success.attributes["id"] !== undefined ? [document.success.attributes["id"]] : []
                )
                const forms = yield* findIn((page) => records.list(FormModel, page), "formId", formIds, { where: [{ field: "deletedAt", op: "isNull" }] })
                const formOf = new Map(forms.flatMap((form) => (form.formId === undefined ? [] : [[form.formId, form.id] as const])))
                const results: Array<Outcome | undefined> = []
                const inputs: Array<SubmissionInput> = []
                const positions: Array<number> = []
                for (const [index, { submission, document }] of parsed.entries()) {
                  if (Result.isFailure(document)) {
                    results[index] = { file: submission.file, outcome: "failed", error: document.failure }
                    continue
                  }
                  const odkFormId = document.success.attributes["id"]
                  const formId = odkFormId === undefined ? undefined : formOf.get(odkFormId)
                  if (formId === undefined) {
                    const message =
                      odkFormId === undefined
                        ? "the submission's root element has no id attribute (its form's form_id)"
                        : `the account has no form with form_id "${odkFormId}" (upload it with iaso forms upload)`
                    results[index] = { file: submission.file, outcome: "failed", error: new NotFound({ model: "Form", id: odkFormId ?? "", message }) }
                    continue
                  }
                  positions.push(index)
                  inputs.push({
                    xml: submission.xml,
                    attachments: submission.attachments,
                    formId,
                    createdAt: submission.modifiedAt,
                    fileName: basename(submission.file)
                  })
                }
                const items = yield* (yield* Instances).ingestMany(inputs, { onProgress: display.onProgress, signal })
                for (const item of items) {
                  const index = positions[item.index]
                  if (index === undefined) continue
                  const file = parsed[index]?.submission.file ?? ""
                  results[index] =
                    item._tag === "Ok"
                      ? { file, outcome: item.value.outcome, instanceId: item.value.instance.id }
                      : { file, outcome: "failed", error: item.error }
                }
                return results.flatMap((outcome) => (outcome === undefined ? [] : [outcome]))
              })
            )
          )
        )
        const count = (outcome: Outcome["outcome"]) => outcomes.filter((item) => item.outcome === outcome).length
        const failures = outcomes.flatMap((item) => (item.outcome === "failed" ? [item] : []))
        const summary = { created: count("created"), edited: count("edited"), unchanged: count("unchanged"), failed: failures.length }
        yield* printResult(
          input.json,
          {
            directory: input.directory,
            account: input.account,
            submissions: outcomes.length,
            ...summary,
            items: outcomes.map(
              (item): Json =>
                item.outcome === "failed" ? { file: item.file, outcome: item.outcome, ...(errorJson(item.error) as { readonly error: Json }) } : { ...item }
            )
          },
          () => [
            `Ingested ${outcomes.length} submissions from ${input.directory}: ${summary.created} created, ${summary.edited} edited, ${summary.unchanged} unchanged, ${summary.failed} failed`
          ]
        )
        const [first] = failures
        if (first !== undefined) {
          if (!input.json) yield* writeErr(failures.map((item) => `iaso: ${item.file}: ${item.error.message}\n`).join(""))
          return yield* new CommandFailed({ exitCode: exitCodeOf(first.error) })
        }
      })
    )
).pipe(
  Command.withDescription("Ingest a folder of ODK submissions (XML with attachments) into the account's forms"),
  Command.withExamples([{ command: "iaso ingest instances/ --json", description: "Ingest ODK Collect's instances folder, printing each submission's outcome" }])
)
