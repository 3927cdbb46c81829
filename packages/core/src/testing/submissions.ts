/**
 * Submission scenarios: ingestion (answers, files, device, correlation id, audit, one unit of
 * work), idempotent re-sends and conflicts, edits kept in the audit trail, periods and their
 * window, soft deletion and restoration, duplicates and counts by status, locks, attachments
 * whose bytes precede their metadata, malformed XML storing nothing, and org-unit access.
 * @module
 */
import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { DeviceModel, DeviceProjectModel } from "../devices/devices.ts"
import { BlobStore } from "../shared/blob.ts"
import type { FormId, OrgUnitId, ProjectId } from "../shared/entity-ids.ts"
import { StorageError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import { InstanceFileModel, InstanceModel } from "../submissions/instance-model.ts"
import type { SubmissionInput } from "../submissions/instances-service.ts"
import { AccountSequenceModel, SEQUENCE_BLOCK } from "../submissions/sequence.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

import { bytes, CREATED, counterAfter, countersInBlocks, I, ingest, ok, photo, run, snapshot, submissionXml, world, WRITTEN } from "./submission-world.ts"
import { submissionStatusScenarios } from "./submission-status.ts"

/** Registers the submission scenarios. */
export const submissionScenarios = (h: () => Harness) => {
  describe("submissions", () => {
    scenario("ingesting stores the answers, files, device, location, correlation id and audit entries; bytes are in the blob store", async () => {
      const harness = h()
      const w = await world(harness, { locationField: "gps", deviceField: "imei_answer" })
      const xml = submissionXml({
        id: "5b0f1c1e-0000-4000-8000-000000000001",
        answers: { name: "Aminata", "household/size": "007", imei_answer: "358544083104930", gps: "8.4841 -13.2299 52.5 4.126", photo: "photo.jpg" }
      })
      const first = await ok(
        ingest(harness, w, w.account.system, {
          xml: bytes(xml),
          orgUnitId: w.units.facility.id,
          projectId: w.account.projectId as ProjectId,
          attachments: [photo("jpeg bytes")],
          fileName: "household.xml"
        })
      )
      expect(first.outcome).toBe("created")
      const instance = first.instance
      expect(instance).toMatchObject({
        uuid: "5b0f1c1e-0000-4000-8000-000000000001",
        currentUuid: "5b0f1c1e-0000-4000-8000-000000000001",
        name: "Household survey",
        fileName: "household.xml",
        orgUnitId: w.units.facility.id,
        accuracy: "4.13",
        location: { type: "Point", coordinates: [-13.2299, 8.4841, 52.5] },
        sourceCreatedAt: CREATED,
        deleted: false,
        generalValidationStatus: ""
      })
      expect(instance.json).toEqual({
        name: "Aminata",
        size: "007",
        imei_answer: "358544083104930",
        gps: "8.4841 -13.2299 52.5 4.126",
        photo: "photo.jpg",
        instanceID: "uuid:5b0f1c1e-0000-4000-8000-000000000001"
      })
      expect(instance.exportId).toMatch(/^[A-Za-z][A-Za-z0-9]{10}$/)
      const correlation = instance.correlationId ?? ""
      expect(correlation).toMatch(/^1\d{3}$/)
      expect(BigInt(correlation.slice(0, -2)) % 97n).toBe(BigInt(correlation.slice(-2)))
      expect(first.files.map((file) => [file.name, file.file?.mediaType, file.file?.size, file.deleted])).toEqual([["photo.jpg", "image/jpeg", 10, false]])
      const photoRef = first.files[0]?.file
      expect(new TextDecoder().decode(await Effect.runPromise(w.blobs.get(photoRef?.key ?? "")))).toBe("jpeg bytes")
      expect(new TextDecoder().decode(await Effect.runPromise(w.blobs.get(instance.file?.key ?? "")))).toBe(xml)
      const [device] = await harness.inspectAccount(DeviceModel, w.account.accountId)
      expect(device?.["imei"]).toBe("358544083104930")
      expect(instance.deviceId).toBe(device?.["id"])
      expect((await harness.inspectAccount(DeviceProjectModel, w.account.accountId)).map((row) => row["projectId"])).toEqual([w.account.projectId])
      const audit = (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter((row) => row["source"] === "SYNC FORM UPLOAD")
      expect(audit.map((row) => row["objectModel"]).sort()).toEqual(["Device", "Instance", "InstanceFile"])
      // A second submission from the same device: the device is found, the counter moves on.
      const second = await ok(
        ingest(harness, w, w.account.system, {
          xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000002", answers: { imei_answer: "358544083104930" } })
        })
      )
      expect(second.instance.deviceId).toBe(instance.deviceId)
      expect(second.instance.correlationId).toMatch(/^2\d{3}$/)
      expect(await harness.inspectAccount(DeviceModel, w.account.accountId)).toHaveLength(1)
      expect((await harness.inspectAccount(AccountSequenceModel, w.account.accountId)).map((row) => [row["name"], row["value"]])).toEqual([
        ["instance.correlation", await counterAfter(harness, 2)]
      ])
    })

    scenario("re-sending the same submission is a no-op; the same uuid with other answers or files is a Conflict and changes nothing", async () => {
      const harness = h()
      const w = await world(harness)
      const id = "5b0f1c1e-0000-4000-8000-000000000010"
      const answers = { name: "Fatmata", visits: "2" }
      const created = await ok(ingest(harness, w, w.account.system, { xml: submissionXml({ id, answers }), attachments: [photo("one")] }))
      const before = await snapshot(harness, w.account, WRITTEN)
      // Whitespace between elements does not change the answers: still the same submission.
      const again = await ok(ingest(harness, w, w.account.system, { xml: submissionXml({ id, answers, pretty: true }), attachments: [photo("one")] }))
      expect(again.outcome).toBe("unchanged")
      expect(again.instance).toEqual(created.instance)
      expect(again.files).toEqual(created.files)
      for (const input of [
        { xml: submissionXml({ id, answers: { ...answers, visits: "3" } }), attachments: [photo("one")] },
        { xml: submissionXml({ id, answers }), attachments: [photo("two")] },
        { xml: submissionXml({ id, answers }) }
      ]) {
        const exit = await ingest(harness, w, w.account.system, input)
        expect(exitTag(exit)).toBe("Conflict")
        expect(exitError(exit)).toMatchObject({ model: "Instance", id: created.instance.id })
      }
      expect(await snapshot(harness, w.account, WRITTEN)).toEqual(before)
      // Two devices racing with one new submission: one creates it, the other gets it back.
      const raced = { formId: w.formId, createdAt: CREATED, xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000011", answers }) }
      const both = await ok(
        run(
          harness,
          w.account.system,
          w.blobs,
          Effect.flatMap(I, (i) => Effect.all([i.ingest(raced), i.ingest(raced)], { concurrency: 2 }))
        )
      )
      expect(both.map((result) => result.outcome).sort()).toEqual(["created", "unchanged"])
      expect(both[0]?.instance.id).toBe(both[1]?.instance.id)
      expect(
        (await harness.inspectAccount(InstanceModel, w.account.accountId)).filter((row) => row["uuid"] === "5b0f1c1e-0000-4000-8000-000000000011")
      ).toHaveLength(1)
    })

    scenario(
      "an edit keeps the submission's identity and files its previous content in the audit trail; stale edits conflict, old versions re-sent are no-ops",
      async () => {
        const harness = h()
        const w = await world(harness)
        const clerk = await w.user("clerk", [])
        const [v1, v2, v3, stale] = [
          "5b0f1c1e-0000-4000-8000-000000000021",
          "5b0f1c1e-0000-4000-8000-000000000022",
          "5b0f1c1e-0000-4000-8000-000000000023",
          "5b0f1c1e-0000-4000-8000-000000000024"
        ]
        const original = await ok(
          ingest(harness, w, clerk, { xml: submissionXml({ id: v1, answers: { weight: "3.2", photo: "photo.jpg" } }), attachments: [photo("first photo")] })
        )
        const edit = await ok(
          ingest(harness, w, clerk, {
            xml: submissionXml({ id: v2, deprecated: v1, answers: { weight: "3.4", photo: "photo.jpg" } }),
            attachments: [photo("second photo")]
          })
        )
        expect(edit.outcome).toBe("edited")
        expect(edit.instance).toMatchObject({
          id: original.instance.id,
          uuid: v1,
          currentUuid: v2,
          version: 2,
          correlationId: original.instance.correlationId,
          lastModifiedById: clerk.userId
        })
        expect(edit.instance.json).toMatchObject({ weight: "3.4", instanceID: `uuid:${v2}`, deprecatedID: `uuid:${v1}` })
        // The replaced photo is soft-deleted, the new one added.
        const files = await harness.inspectAccount(InstanceFileModel, w.account.accountId)
        expect(files.map((row) => [row["deleted"], (row["file"] as { size?: number } | undefined)?.size]).sort()).toEqual([
          [false, 12],
          [true, 11]
        ])
        expect(edit.files.map((file) => file.file?.size)).toEqual([12])
        const third = await ok(
          ingest(harness, w, clerk, {
            xml: submissionXml({ id: v3, deprecated: v2, answers: { weight: "3.5", photo: "photo.jpg" } }),
            attachments: [photo("second photo")]
          })
        )
        expect(third.instance).toMatchObject({ uuid: v1, currentUuid: v3, version: 3 })
        expect(third.files.map((file) => file.file?.size)).toEqual([12])
        const audit = (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter((row) => row["objectModel"] === "Instance")
        const history = audit
          .map((row) => (row["before"] as { json?: { weight?: string } } | undefined)?.json?.weight)
          .filter((weight) => weight !== undefined)
          .sort()
        expect(history).toEqual(["3.2", "3.4"])
        const settled = await snapshot(harness, w.account, WRITTEN)
        // Earlier versions re-sent: no-ops answering the current submission.
        for (const [id, deprecated, weight, attached] of [
          [v1, undefined, "3.2", "first photo"],
          [v2, v1, "3.4", "second photo"]
        ] as const) {
          const resent = await ok(
            ingest(harness, w, clerk, {
              xml: submissionXml({ id, ...(deprecated === undefined ? {} : { deprecated }), answers: { weight, photo: "photo.jpg" } }),
              attachments: [photo(attached)]
            })
          )
          expect(resent.outcome).toBe("unchanged")
          expect(resent.instance.currentUuid).toBe(v3)
        }
        // An edit of a version that was already replaced, or an old version with other answers: conflicts.
        expect(exitTag(await ingest(harness, w, clerk, { xml: submissionXml({ id: stale, deprecated: v1, answers: { weight: "9" } }) }))).toBe("Conflict")
        expect(exitTag(await ingest(harness, w, clerk, { xml: submissionXml({ id: v2, deprecated: v1, answers: { weight: "9" } }) }))).toBe("Conflict")
        expect(await snapshot(harness, w.account, WRITTEN)).toEqual(settled)
      }
    )

    scenario("malformed or truncated XML, an unknown form, a wrong period type or a missing instance id store nothing", async () => {
      const harness = h()
      const w = await world(harness, { periodType: "MONTH" })
      const before = await snapshot(harness, w.account, WRITTEN)
      const good = submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000031", answers: { a: "1" } })
      const cases: ReadonlyArray<[Partial<SubmissionInput>, string]> = [
        [{ xml: good.slice(0, good.length - 10) }, "ValidationError"],
        [{ xml: good.replace("<a>1</a>", "<a>1</b>") }, "ValidationError"],
        [{ xml: `${good}<data/>` }, "ValidationError"],
        [{ xml: good, formId: uuidv7() as FormId }, "NotFound"],
        [{ xml: good, projectId: uuidv7() as ProjectId }, "NotFound"],
        [{ xml: good, orgUnitId: uuidv7() as OrgUnitId }, "NotFound"],
        [{ xml: good, period: "2024Q2" }, "ValidationError"],
        [{ xml: good, period: "202413" }, "ValidationError"],
        [{ xml: "<data><a>1</a></data>" }, "ValidationError"],
        [{ xml: good, createdAt: new Date(Number.NaN) }, "ValidationError"],
        [{ xml: good, attachments: [photo("a"), photo("b")] }, "ValidationError"]
      ]
      for (const [input, tag] of cases) {
        const exit = await ingest(harness, w, w.account.system, { xml: good, ...input })
        expect(exitTag(exit), JSON.stringify(input.period ?? input.formId ?? String(input.xml).slice(-30))).toBe(tag)
      }
      const wrongType = await ingest(harness, w, w.account.system, { xml: good, period: "2024Q2" })
      expect((exitError(wrongType) as { message: string }).message).toContain("Wrong period type, expecting: MONTH. Received type: QUARTER")
      expect(await snapshot(harness, w.account, WRITTEN)).toEqual(before)
    })

    scenario("a failure after the bytes are stored leaves no metadata: device, counter, submission and files roll back together", async () => {
      const harness = h()
      const w = await world(harness)
      const before = await snapshot(harness, w.account, WRITTEN)
      // The name is checked when the submission is written: after the device and the counter.
      const exit = await ingest(harness, w, w.account.system, {
        xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000041", answers: { deviceid: "imei-1" } }),
        attachments: [photo("kept bytes")],
        projectId: w.account.projectId as ProjectId,
        name: "nul \u0000 in the name"
      })
      expect(exitTag(exit)).toBe("ValidationError")
      // On a store with concurrent writers the counter's block was committed before the unit of
      // work (see takeSequenceValues): its values are not given back. Everything else rolled back.
      const counter = (await countersInBlocks(harness)) ? [["instance.correlation", SEQUENCE_BLOCK]] : []
      const { AccountSequence: counterBefore, ...othersBefore } = before
      const unchanged = async () => {
        const { AccountSequence: counters, ...others } = await snapshot(harness, w.account, WRITTEN)
        expect(others).toEqual(othersBefore)
        expect(counters?.map((row) => [row["name"], row["value"]])).toEqual(counter)
      }
      expect(counterBefore).toEqual([])
      await unchanged()
      // The bytes were written first (content-addressed, left for garbage collection).
      const ref = await Effect.runPromise(w.blobs.put(bytes("kept bytes"), { mediaType: "image/jpeg" }))
      expect(await Effect.runPromise(w.blobs.has(ref.key))).toBe(true)
      // A blob store that fails: nothing is stored either.
      const failing = BlobStore.of({
        put: () => Effect.fail(new StorageError({ reason: "unavailable", retryable: true, message: "disk full" })),
        get: (key) => w.blobs.get(key),
        has: () => Effect.succeed(false),
        remove: () => Effect.void
      })
      const refused = await run(
        harness,
        w.account.system,
        failing,
        Effect.flatMap(I, (instances) =>
          instances.ingest({ formId: w.formId, createdAt: CREATED, xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000042" }) })
        )
      )
      expect(exitTag(refused)).toBe("StorageError")
      await unchanged()
    })

    scenario("periods: stored in canonical form; outside the allowed window judged from the device's creation day, stored and flagged", async () => {
      const harness = h()
      const w = await world(harness, { periodType: "WEEK", periodsBeforeAllowed: 1, periodsAfterAllowed: 0 })
      // 2024-05-15 is in ISO week 2024W20: 2024W19 and 2024W20 are allowed.
      const results: Array<[string | undefined, boolean | undefined]> = []
      for (const [n, period] of [
        [1, "2024W20"],
        [2, "2024W019"],
        [3, "2024W18"],
        [4, "2024W21"]
      ] as const) {
        const exit = await ingest(harness, w, w.account.system, { xml: submissionXml({ id: `5b0f1c1e-0000-4000-8000-00000000005${n}` }), period })
        if (Exit.isSuccess(exit)) results.push([exit.value.instance.period, exit.value.instance.periodOutsideWindow])
        else results.push([`${exitTag(exit)} ${period}`, undefined])
      }
      expect(results).toEqual([
        ["2024W20", undefined],
        ["ValidationError 2024W019", undefined],
        ["2024W18", true],
        ["2024W21", true]
      ])
      const weekOne = await ok(
        ingest(harness, w, w.account.system, {
          xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000055" }),
          period: "2025W01",
          createdAt: new Date("2024-12-31T12:00:00Z")
        })
      )
      expect([weekOne.instance.period, weekOne.instance.periodOutsideWindow]).toEqual(["2025W1", undefined])
    })

    submissionStatusScenarios(h)
  })
}
