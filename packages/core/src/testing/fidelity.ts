/**
 * Fidelity scenarios: text (quotes, emoji, SQL fragments, astral characters, NUL refused), time
 * to the millisecond from 1970 to 9999, and geometry round-trips.
 * @module
 */
import { Effect } from "effect"
import { expect } from "vitest"
import { scenario } from "./scenario.ts"
import { OrgUnitModel, type OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Records } from "../kernel/records.ts"
import { foldKey } from "../shared/text.ts"
import { DataSourceModel } from "../registry/sources.ts"
import type { Harness } from "./harness.ts"
import { exitError, exitTag } from "./harness.ts"
import { tricky } from "./org-unit-fixtures.ts"

/** Registers the fidelity scenarios. */
export const fidelityScenarios = (h: () => Harness) => {
  scenario("quotes, emoji, SQL fragments and astral characters round-trip exactly and are found by folded search", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const versionId = account.versionId as OrgUnit["versionId"]
    for (const name of tricky) {
      const unit = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name, versionId, aliases: [name] }))
      )
      const read = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(unit.id))
      )
      expect(read.name).toBe(name)
      expect(read.aliases).toEqual([name])
      const found = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) =>
          r.list(OrgUnitModel, { where: [{ field: "nameKey", op: "contains", value: foldKey(name).slice(2, 9) }] })
        )
      )
      expect(found.items.map((item) => item.id)).toContain(unit.id)
    }
    const search = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { where: [{ field: "nameKey", op: "contains", value: "segou" }] }))
    )
    expect(search.items.map((item) => item.name)).toEqual([tricky[2]])
  })

  scenario("text containing NUL is refused with a ValidationError naming the field, and nothing is stored", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const before = await harness.inspectAccount(DataSourceModel, account.accountId)
    const exit = await harness.exitAs(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) =>
        r.create(DataSourceModel, { name: "bad\u0000name", readOnly: false, treeConfigStatusFields: [], public: false })
      )
    )
    expect(exitTag(exit)).toBe("ValidationError")
    const error = exitError(exit) as { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<unknown>; readonly message: string }> }
    expect(error.issues[0]?.path).toEqual(["name"])
    expect(error.issues[0]?.message).toContain("NUL")
    expect(await harness.inspectAccount(DataSourceModel, account.accountId)).toEqual(before)
  })

  scenario("timestamps keep the millisecond, from 1970 to 9999", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const versionId = account.versionId as OrgUnit["versionId"]
    for (const at of [
      new Date(0),
      new Date(Date.UTC(2021, 0, 2, 3, 4, 5, 678)),
      new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
      new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999))
    ]) {
      const unit = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "T", versionId, sourceCreatedAt: at }))
      )
      const read = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(unit.id))
      )
      expect(read.sourceCreatedAt?.getTime()).toBe(at.getTime())
      expect(read.createdAt.getTime() % 1).toBe(0)
      expect(read.createdAt.getTime()).toBe(unit.createdAt.getTime())
    }
  })

  scenario("geometry round-trips exactly: a Polygon with a hole becomes a MultiPolygon, simplified geometry and bounding box are computed", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const versionId = account.versionId as OrgUnit["versionId"]
    const outer = [
      [-13.3, 6.9],
      [-10.2, 6.9],
      [-10.2, 10.0],
      [-13.3, 10.0],
      [-13.3, 6.9]
    ]
    const hole = [
      [-12.0, 8.0],
      [-11.0, 8.0],
      [-11.0, 9.0],
      [-12.0, 8.0]
    ]
    const unit = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) =>
        u.create({
          name: "Shape",
          versionId,
          geom: { type: "Polygon", coordinates: [outer as never, hole as never] },
          location: { type: "Point", coordinates: [-11.7271, 7.9553, 152.25] }
        })
      )
    )
    const read = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(unit.id))
    )
    expect(read.geom).toEqual({ type: "MultiPolygon", coordinates: [[outer, hole]] })
    expect(read.simplifiedGeom).toEqual({ type: "MultiPolygon", coordinates: [[outer, hole]] })
    expect(read.location).toEqual({ type: "Point", coordinates: [-11.7271, 7.9553, 152.25] })
    const [row] = (await harness.inspectAccount(OrgUnitModel, account.accountId)).filter((r) => r["id"] === unit.id)
    expect([row?.["bboxWest"], row?.["bboxSouth"], row?.["bboxEast"], row?.["bboxNorth"]]).toEqual([-13.3, 6.9, -10.2, 10.0])
    const inBox = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) =>
        r.list(OrgUnitModel, {
          where: [
            { field: "bboxWest", op: "lte", value: -12 },
            { field: "bboxEast", op: "gte", value: -12 },
            { field: "bboxSouth", op: "lte", value: 8 },
            { field: "bboxNorth", op: "gte", value: 8 }
          ]
        })
      )
    )
    expect(inBox.items.map((item) => item.id)).toEqual([unit.id])
    const bad = await harness.exitAs(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) =>
        u.create({
          name: "Bad",
          versionId,
          geom: {
            type: "Polygon",
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 0.5]
              ]
            ]
          } as never
        })
      )
    )
    expect(exitTag(bad)).toBe("ValidationError")
    expect(String((exitError(bad) as { message: string }).message)).toContain("closed")
  })
}
