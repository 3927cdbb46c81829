/**
 * `iaso forms upload FILE.xlsx`: an XLSForm uploaded as a new version of the account's form with
 * its `form_id`, the form created first (offered by the account's first project) when the account
 * has none, in one transaction with the account's setup: a refused version leaves no empty form
 * (nor a new account) behind.
 * @module
 */
import { basename } from "node:path"
import { FormModel, Forms, FormVersionMessages, FormVersions, Records, ValidationError } from "@iaso/core"
import { readXlsForm } from "@iaso/core/xlsform"
import { Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { readBytes } from "../files.ts"
import { commonFlags, filesDirectory, filesFlag } from "../flags.ts"
import { printResult } from "../output.ts"
import { runCommand } from "../runner.ts"
import { Session, withBlobs, withSession } from "../session.ts"

const upload = Command.make(
  "upload",
  {
    ...commonFlags,
    files: filesFlag,
    name: Flag.String("name").pipe(
      Flag.withMetavar("NAME"),
      Flag.withDescription("The form's name when the upload creates it (default: the XLSForm's title)"),
      Flag.optional
    ),
    file: Argument.String("file").pipe(
      Argument.withMetavar("FILE.xlsx"),
      Argument.withDescription("The XLSForm (.xlsx) with its settings sheet's form_id and version")
    )
  },
  (input) =>
    runCommand(
      { json: input.json, operation: "upload", whenInterrupted: "nothing was changed" },
      Effect.gen(function* () {
        const bytes = yield* readBytes(input.file)
        const fileName = basename(input.file)
        const parsed = readXlsForm(bytes, fileName)
        if (Result.isFailure(parsed)) return yield* ValidationError.at(["xlsFile"], `${FormVersionMessages.xlsContent}${parsed.failure}`)
        const { formId, title } = parsed.success
        const { form, version, created } = yield* withBlobs(
          filesDirectory(input.db, input.files),
          withSession(
            input,
            { create: true, atomic: true },
            Effect.gen(function* () {
              const session = yield* Session
              const records = yield* Records
              const existing = yield* records.list(FormModel, {
                where: [
                  { field: "formId", op: "eq", value: formId },
                  { field: "deletedAt", op: "isNull" }
                ],
                limit: 1
              })
              const found = existing.items[0]
              const form = found ?? (yield* (yield* Forms).create({ name: Option.getOrElse(input.name, () => title), projectIds: [session.project.id] }))
              const version = yield* (yield* FormVersions).create({ formId: form.id, xlsForm: { bytes, fileName } })
              return { form, version, created: found === undefined }
            })
          )
        )
        yield* printResult(
          input.json,
          {
            file: input.file,
            account: input.account,
            form: { id: form.id, formId, name: form.name, created },
            version: { id: version.id, versionId: version.versionId }
          },
          () => [`Uploaded ${input.file}: version ${version.versionId} of form "${form.name}" (form_id ${formId}${created ? ", new form" : ""})`]
        )
      })
    )
).pipe(
  Command.withDescription("Upload an XLSForm as a new version of its form (created when the account has no form with its form_id)"),
  Command.withExamples([{ command: "iaso forms upload household.xlsx --json", description: "Upload, printing the form and version ids" }])
)

/** `iaso forms`. */
export const formsCommand = Command.make("forms").pipe(Command.withDescription("Manage forms"), Command.withSubcommands([upload]))
