/**
 * Submission scenarios on status and access: single-per-period duplicates and counts by status,
 * locks from org units, and a restricted actor's submissions.
 * @module
 */
import { Effect } from "effect"
import { expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { DeviceModel } from "../devices/devices.ts"
import { FormModel } from "../forms/form.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import type { FormId, InstanceId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { type Instance, InstanceFileModel, InstanceModel } from "../submissions/instance-model.ts"
import type { IngestResult } from "../submissions/instances-service.ts"
import type { Actor } from "../tenancy/actor.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

import { CREATED, I, ingest, ok, run, snapshot, submissionXml, world, WRITTEN } from "./submission-world.ts"

/** Registers the status, lock and access scenarios (inside the submissions' describe block). */
export const submissionStatusScenarios = (h: () => Harness) => {
  scenario("single-per-period duplicates are DUPLICATED (over EXPORTED) until one is soft-deleted; counts by status per period and form", async () => {
    const harness = h()
    const w = await world(harness, { periodType: "MONTH", singlePerPeriod: true })
    const repos = await harness.repos()
    const quarterly = await harness.run(
      repos.insert(FormModel, w.account.accountId, {
        name: "Quarterly",
        uuid: uuidv7(),
        correlatable: false,
        singlePerPeriod: false,
        derived: false,
        changeRequestMode: "CR_MODE_NONE",
        periodType: "QUARTER"
      })
    )
    let n = 0
    const add = async (period: string, unit: OrgUnit, formId: FormId = w.formId) => {
      n += 1
      const id = `5b0f1c1e-0000-4000-8000-0000000006${String(n).padStart(2, "0")}`
      return (await ok(ingest(harness, w, w.account.system, { xml: submissionXml({ id }), formId, period, orgUnitId: unit.id }))).instance
    }
    const january = await add("202001", w.units.facility)
    const feb1 = await add("202002", w.units.facility)
    const feb2 = await add("202002", w.units.facility)
    const febElsewhere = await add("202002", w.units.elsewhere)
    const march = await add("202003", w.units.facility)
    const q1 = await add("2020Q1", w.units.facility, quarterly.id as FormId)
    const q1again = await add("2020Q1", w.units.facility, quarterly.id as FormId)
    for (const exported of [march, feb2])
      await harness.run(repos.update(InstanceModel, w.account.accountId, exported.id, { lastExportSuccessAt: new Date("2020-04-01T00:00:00Z") }))
    const reader = await w.user("reader", [], ["iaso_submissions"])
    const statuses = async () => {
      const page = await ok(
        run(
          harness,
          reader,
          w.blobs,
          Effect.flatMap(I, (i) => i.list({ limit: 100 }))
        )
      )
      return Object.fromEntries(page.items.map((item) => [item.instance.id, item.status]))
    }
    expect(await statuses()).toEqual({
      [january.id]: "READY",
      [feb1.id]: "DUPLICATED",
      [feb2.id]: "DUPLICATED",
      [febElsewhere.id]: "READY",
      [march.id]: "EXPORTED",
      [q1.id]: "READY",
      [q1again.id]: "READY"
    })
    expect(
      await ok(
        run(
          harness,
          reader,
          w.blobs,
          Effect.flatMap(I, (i) => i.countsByStatus())
        )
      )
    ).toEqual([
      { period: "202001", formId: w.formId, total: 1, duplicated: 0, exported: 0, ready: 1 },
      { period: "202002", formId: w.formId, total: 3, duplicated: 2, exported: 0, ready: 1 },
      { period: "202003", formId: w.formId, total: 1, duplicated: 0, exported: 1, ready: 0 },
      { period: "2020Q1", formId: quarterly.id, total: 2, duplicated: 0, exported: 0, ready: 2 }
    ])
    const deleted = await ok(
      run(
        harness,
        reader,
        w.blobs,
        Effect.flatMap(I, (i) => i.softDelete(feb1.id as InstanceId))
      )
    )
    expect([deleted.deleted, deleted.lastModifiedById]).toEqual([true, reader.userId])
    expect(
      await ok(
        run(
          harness,
          reader,
          w.blobs,
          Effect.flatMap(I, (i) => i.status(feb2.id as InstanceId))
        )
      )
    ).toBe("EXPORTED")
    expect(
      (
        await ok(
          run(
            harness,
            reader,
            w.blobs,
            Effect.flatMap(I, (i) => i.list({ period: "202002" }))
          )
        )
      ).items
        .map((item) => item.instance.id)
        .sort()
    ).toEqual([feb2.id, febElsewhere.id].sort())
    expect(
      (
        await ok(
          run(
            harness,
            reader,
            w.blobs,
            Effect.flatMap(I, (i) => i.list({ period: "202002", includeDeleted: true }))
          )
        )
      ).items
    ).toHaveLength(3)
    const restored = await ok(
      run(
        harness,
        reader,
        w.blobs,
        Effect.flatMap(I, (i) => i.restore(feb1.id as InstanceId))
      )
    )
    expect(restored.deleted).toBe(false)
    expect(
      await ok(
        run(
          harness,
          reader,
          w.blobs,
          Effect.flatMap(I, (i) => i.status(feb2.id as InstanceId))
        )
      )
    ).toBe("DUPLICATED")
    const audit = (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter(
      (row) => row["objectId"] === feb1.id && row["source"] === "INSTANCE_API"
    )
    expect(audit.map((row) => [(row["before"] as Instance | undefined)?.deleted, (row["after"] as Instance | undefined)?.deleted])).toEqual([
      [false, true],
      [true, false]
    ])
    const nobody = await w.user("nobody", [], [])
    expect(
      exitTag(
        await run(
          harness,
          nobody,
          w.blobs,
          Effect.flatMap(I, (i) => i.softDelete(feb1.id as InstanceId))
        )
      )
    ).toBe("Forbidden")
    expect(
      exitTag(
        await run(
          harness,
          nobody,
          w.blobs,
          Effect.flatMap(I, (i) => i.list())
        )
      )
    ).toBe("Forbidden")
  })

  scenario("locks: a lock from an org unit blocks the users below it, not those above; only users who may modify unlock, once", async () => {
    const harness = h()
    const w = await world(harness)
    const top = await w.user("top", [w.units.root])
    const middle = await w.user("middle", [w.units.district])
    const low = await w.user("low", [w.units.facility])
    const instance = (
      await ok(ingest(harness, w, w.account.system, { xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000071" }), orgUnitId: w.units.facility.id }))
    ).instance
    const id = instance.id as InstanceId
    const may = async (actor: Actor) =>
      ok(
        run(
          harness,
          actor,
          w.blobs,
          Effect.flatMap(I, (i) => i.canModify(id))
        )
      )
    expect([await may(top), await may(middle), await may(low)]).toEqual([true, true, true])
    const middleLock = await ok(
      run(
        harness,
        middle,
        w.blobs,
        Effect.flatMap(I, (i) => i.lock(id))
      )
    )
    expect(middleLock).toMatchObject({ instanceId: id, lockedById: middle.userId, topOrgUnitId: w.units.district.id })
    expect([await may(top), await may(middle), await may(low)]).toEqual([true, true, false])
    expect(
      exitTag(
        await run(
          harness,
          low,
          w.blobs,
          Effect.flatMap(I, (i) => i.softDelete(id))
        )
      )
    ).toBe("Forbidden")
    expect(
      exitTag(
        await run(
          harness,
          low,
          w.blobs,
          Effect.flatMap(I, (i) => i.unlock(middleLock.id))
        )
      )
    ).toBe("Forbidden")
    const topLock = await ok(
      run(
        harness,
        top,
        w.blobs,
        Effect.flatMap(I, (i) => i.lock(id))
      )
    )
    expect(topLock.topOrgUnitId).toBe(w.units.root.id)
    expect([await may(top), await may(middle), await may(low)]).toEqual([true, false, false])
    expect(
      exitTag(
        await run(
          harness,
          middle,
          w.blobs,
          Effect.flatMap(I, (i) => i.unlock(topLock.id))
        )
      )
    ).toBe("Forbidden")
    const released = await ok(
      run(
        harness,
        top,
        w.blobs,
        Effect.flatMap(I, (i) => i.unlock(topLock.id))
      )
    )
    expect(released.unlockedById).toBe(top.userId)
    const again = await run(
      harness,
      top,
      w.blobs,
      Effect.flatMap(I, (i) => i.unlock(topLock.id))
    )
    expect(exitTag(again)).toBe("ValidationError")
    expect((exitError(again) as { message: string }).message).toContain("Lock already unlocked")
    expect([await may(top), await may(middle), await may(low)]).toEqual([true, true, false])
    // An edit by a blocked user is refused; an unrestricted user's lock starts at the root.
    const edit = await ingest(harness, w, low, {
      xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000072", deprecated: "5b0f1c1e-0000-4000-8000-000000000071" })
    })
    expect(exitTag(edit)).toBe("Forbidden")
    const admin = await w.user("admin", [])
    expect(
      (
        await ok(
          run(
            harness,
            admin,
            w.blobs,
            Effect.flatMap(I, (i) => i.lock(id))
          )
        )
      ).topOrgUnitId
    ).toBe(w.units.root.id)
    const locks = await ok(
      run(
        harness,
        top,
        w.blobs,
        Effect.flatMap(I, (i) => i.locks(id))
      )
    )
    expect(locks).toHaveLength(3)
    expect(
      exitTag(
        await run(
          harness,
          w.account.system,
          w.blobs,
          Effect.flatMap(I, (i) => i.lock(id))
        )
      )
    ).toBe("Forbidden")
  })

  scenario("access: a restricted actor submits and sees only under its org units; another account's submission is not found", async () => {
    const harness = h()
    const w = await world(harness)
    const fieldWorker = await w.user("field", [w.units.district], [])
    const reader = await w.user("reader", [w.units.district])
    const inside = await ok(
      ingest(harness, w, fieldWorker, { xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000081" }), orgUnitId: w.units.facility.id })
    )
    expect(inside.instance.createdById).toBe(fieldWorker.userId)
    const before = await snapshot(harness, w.account, WRITTEN)
    const outside = await ingest(harness, w, fieldWorker, {
      xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000082" }),
      orgUnitId: w.units.elsewhere.id
    })
    expect(exitTag(outside)).toBe("Forbidden")
    const noUnit = await ok(ingest(harness, w, w.account.system, { xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000083" }) }))
    const elsewhere = await ok(
      ingest(harness, w, w.account.system, { xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000084" }), orgUnitId: w.units.elsewhere.id })
    )
    expect(
      exitTag(await ingest(harness, w, fieldWorker, { xml: submissionXml({ id: "5b0f1c1e-0000-4000-8000-000000000084" }), orgUnitId: w.units.facility.id }))
    ).toBe("Forbidden")
    const listed = await ok(
      run(
        harness,
        reader,
        w.blobs,
        Effect.flatMap(I, (i) => i.list())
      )
    )
    expect(listed.items.map((item) => item.instance.id)).toEqual([inside.instance.id])
    for (const hidden of [noUnit.instance.id, elsewhere.instance.id]) {
      expect(
        exitTag(
          await run(
            harness,
            reader,
            w.blobs,
            Effect.flatMap(I, (i) => i.get(hidden as InstanceId))
          )
        )
      ).toBe("NotFound")
    }
    expect(
      exitTag(
        await run(
          harness,
          fieldWorker,
          w.blobs,
          Effect.flatMap(I, (i) => i.get(inside.instance.id as InstanceId))
        )
      )
    ).toBe("Forbidden")
    const other = await harness.freshAccount()
    expect(
      exitTag(
        await run(
          harness,
          other.system,
          w.blobs,
          Effect.flatMap(I, (i) => i.get(inside.instance.id as InstanceId))
        )
      )
    ).toBe("NotFound")
    expect(
      exitTag(
        await run(
          harness,
          other.system,
          w.blobs,
          Effect.flatMap(I, (i) => i.ingest({ formId: w.formId, createdAt: CREATED, xml: submissionXml({ id: uuidv7() }) }))
        )
      )
    ).toBe("NotFound")
    const after = await snapshot(harness, w.account, [InstanceFileModel, DeviceModel])
    expect(after).toEqual({ InstanceFile: before["InstanceFile"], Device: before["Device"] })
    const ingested: IngestResult = inside
    expect(ingested.files).toEqual([])
  })
}
