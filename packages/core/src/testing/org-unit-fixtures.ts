/**
 * What the service-level scenarios share: a small pyramid, tricky text, the account's stored rows,
 * and the check that every stored path is consistent.
 * @module
 */
import { Effect } from "effect"
import { expect } from "vitest"
import { OrgUnitModel, type OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import type { AnyModel } from "../shared/model.ts"
import type { FreshAccount, Harness } from "./harness.ts"

/** Text that trips naive storage: quotes, SQL fragments, emoji, combining marks, astral characters, spaces, breaks. */
export const tricky = [
  'O\'Reilly "quoted" `tick` \\ back\\slash',
  "'); DROP TABLE org_unit; -- /* */ %_",
  "Ségou 🏥 🇸🇱 e\u0301 \u{10FFFF} \uFFFF",
  "  leading and trailing spaces  ",
  "line\nbreak\ttab\r\n"
]

/** Builds root > (a > a1 > a11, b) in the account's version. */
export const pyramid = (h: Harness, account: FreshAccount) =>
  h.as(
    account.system,
    Effect.gen(function* () {
      const units = yield* OrgUnits
      const versionId = account.versionId as OrgUnit["versionId"]
      const root = yield* units.create({ name: "Root", versionId })
      const a = yield* units.create({ name: "A", versionId, parentId: root.id })
      const b = yield* units.create({ name: "B", versionId, parentId: root.id })
      const a1 = yield* units.create({ name: "A1", versionId, parentId: a.id })
      const a11 = yield* units.create({ name: "A11", versionId, parentId: a1.id })
      return { root, a, b, a1, a11 }
    })
  )

/** The stored rows of the account for these models (what a refused call must leave alone). */
export const accountRows = async (h: Harness, account: FreshAccount, models: ReadonlyArray<AnyModel>) => {
  const out: Record<string, unknown> = {}
  for (const model of models) out[model.name] = await h.inspectAccount(model, account.accountId)
  return out
}

/** Every unit's path is its parent's path plus its own id (no cycle, no stale path). */
export const expectConsistentPaths = async (h: Harness, account: FreshAccount) => {
  const rows = await h.inspectAccount(OrgUnitModel, account.accountId)
  const byId = new Map(rows.map((row) => [String(row["id"]), row]))
  for (const row of rows) {
    const parent = row["parentId"] === undefined ? undefined : byId.get(String(row["parentId"]))
    const expected = `${parent === undefined ? "" : String(parent["path"])}${String(row["id"])}/`
    expect(row["path"], `path of ${String(row["name"])}`).toBe(expected)
    expect(row["depth"]).toBe(expected.split("/").length - 1)
  }
}

/** A stored unit as {@link unitsByRef} shows it: ids replaced by the units' `sourceRef`. */
export interface UnitByRef {
  readonly ref: string | undefined
  readonly name: string
  readonly parent: string | null | undefined
  readonly path: string
  readonly depth: number
  readonly code: string | undefined
  readonly location: OrgUnit["location"] | null
  readonly validationStatus: OrgUnit["validationStatus"]
  readonly version: number
}

/**
 * Imported units with their ids (made per import) replaced by their refs, in ref order: two imports
 * of one input compare equal when they stored the same tree.
 */
export const unitsByRef = (units: ReadonlyArray<OrgUnit>): ReadonlyArray<UnitByRef> => {
  const refs = new Map(units.map((unit) => [String(unit.id), unit.sourceRef ?? ""]))
  return units
    .map((unit) => ({
      ref: unit.sourceRef,
      name: unit.name,
      parent: unit.parentId === undefined ? null : refs.get(unit.parentId),
      path: unit.path
        .split("/")
        .filter((id) => id !== "")
        .map((id) => refs.get(id))
        .join("/"),
      depth: unit.depth,
      code: unit.code,
      location: unit.location ?? null,
      validationStatus: unit.validationStatus,
      version: unit.version
    }))
    .sort((a, b) => (String(a.ref) < String(b.ref) ? -1 : 1))
}
