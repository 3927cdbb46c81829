/**
 * The parity property: random operation sequences (creates, moves, renames, bulk writes with
 * failing items, aborted transactions, paging interleaved with writes) run on the store under test
 * and on the memory store give the same results, step by step and in the end.
 * @module
 */
import { Effect, Exit } from "effect"
import { expect } from "vitest"
import { MemoryStore } from "../memory/index.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Records } from "../kernel/records.ts"
import type { OrgUnitId } from "../shared/entity-ids.ts"
import { Conflict } from "../shared/errors.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { DataSourceModel } from "../registry/sources.ts"
import { exitTag, type ConformanceOptions, type Harness, makeHarness } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { prng } from "./random.ts"

const idFrom = (random: () => number, n: number): string => {
  const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join("")
  return `${n.toString(16).padStart(8, "0")}-${hex(4)}-7${hex(3)}-${"89ab"[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`
}

type Op =
  | { readonly kind: "create"; readonly id: string; readonly name: string; readonly parent: number | null }
  | { readonly kind: "move"; readonly unit: number; readonly parent: number | null }
  | { readonly kind: "rename"; readonly unit: number; readonly name: string }
  | { readonly kind: "bulk"; readonly ids: ReadonlyArray<string>; readonly names: ReadonlyArray<string> }
  | { readonly kind: "aborted"; readonly id: string; readonly unit: number; readonly parent: number }
  | { readonly kind: "page" }

const NAMES = ["Bo", "Kenema", "Ségou", "kono", "Éla", "Zed", "bo", "Bombali", "🏥", "'quoted'"]

/** A random sequence of operations. */
export const randomOps = (seed: number, length: number): ReadonlyArray<Op> => {
  const random = prng(seed)
  const ops: Array<Op> = []
  let units = 0
  let n = seed * 1000
  const name = () => `${NAMES[Math.floor(random() * NAMES.length)] ?? "x"} ${Math.floor(random() * 5)}`
  const pick = () => Math.floor(random() * Math.max(units, 1))
  for (let i = 0; i < length; i++) {
    const roll = random()
    if (units < 3 || roll < 0.3) {
      ops.push({ kind: "create", id: idFrom(random, ++n), name: name(), parent: units === 0 || random() < 0.15 ? null : pick() })
      units += 1
    } else if (roll < 0.5) ops.push({ kind: "move", unit: pick(), parent: random() < 0.1 ? null : pick() })
    else if (roll < 0.62) ops.push({ kind: "rename", unit: pick(), name: name() })
    else if (roll < 0.74) ops.push({ kind: "bulk", ids: [idFrom(random, ++n), idFrom(random, ++n)], names: [name(), name()] })
    else if (roll < 0.84) ops.push({ kind: "aborted", id: idFrom(random, ++n), unit: pick(), parent: pick() })
    else ops.push({ kind: "page" })
  }
  return ops
}

const unitView = (unit: Partial<OrgUnit>) => ({
  id: unit.id,
  name: unit.name,
  path: unit.path,
  depth: unit.depth,
  parentId: unit.parentId,
  version: unit.version
})

/** Runs a sequence on a harness and describes every step's outcome and the final state. */
const runOps = async (h: Harness, ops: ReadonlyArray<Op>): Promise<ReadonlyArray<unknown>> => {
  const account = await h.freshAccount()
  const versionId = account.versionId as OrgUnit["versionId"]
  const created: Array<string> = []
  const projects: Array<string> = []
  const out: Array<unknown> = []
  let cursor: string | undefined
  const as = <A, E>(effect: Effect.Effect<A, E, OrgUnits | Records | CurrentActor>) => h.exitAs(account.system, effect)
  for (const op of ops) {
    switch (op.kind) {
      case "create": {
        const parentId = op.parent === null ? undefined : (created[op.parent] as OrgUnitId | undefined)
        const exit = await as(
          Effect.flatMap(Effect.service(OrgUnits), (u) =>
            u.create({ id: op.id as OrgUnitId, name: op.name, versionId, ...(parentId === undefined ? {} : { parentId }) })
          )
        )
        if (Exit.isSuccess(exit)) created.push(op.id)
        out.push(["create", Exit.isSuccess(exit) ? unitView(exit.value) : exitTag(exit)])
        break
      }
      case "move": {
        const unit = created[op.unit] as OrgUnitId
        const parent = op.parent === null ? null : (created[op.parent] as OrgUnitId)
        const exit = await as(Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(unit, parent)))
        out.push(["move", Exit.isSuccess(exit) ? unitView(exit.value) : exitTag(exit)])
        break
      }
      case "rename": {
        const exit = await as(Effect.flatMap(Effect.service(OrgUnits), (u) => u.update(created[op.unit] as OrgUnitId, { name: op.name })))
        out.push(["rename", Exit.isSuccess(exit) ? unitView(exit.value) : exitTag(exit)])
        break
      }
      case "bulk": {
        const items = [
          { id: op.ids[0], name: op.names[0], readOnly: false, treeConfigStatusFields: [], public: false },
          ...(projects.length > 0 ? [{ id: projects[0], name: "duplicate", readOnly: false, treeConfigStatusFields: [], public: false }] : []),
          { id: op.ids[1], name: `${op.names[1] ?? ""}\u0000`, readOnly: false, treeConfigStatusFields: [], public: false }
        ]
        // A generic bulk write of an unmanaged model (projects are written through their service).
        const exit = await as(Effect.flatMap(Effect.service(Records), (r) => r.createMany(DataSourceModel, items as never)))
        if (Exit.isSuccess(exit)) for (const item of exit.value.items) if (item._tag === "Ok") projects.push(item.value.id)
        out.push(["bulk", Exit.isSuccess(exit) ? exit.value.items.map((item) => (item._tag === "Ok" ? item.value.name : item.error._tag)) : exitTag(exit)])
        break
      }
      case "aborted": {
        const exit = await as(
          Effect.gen(function* () {
            const records = yield* Records
            const units = yield* OrgUnits
            return yield* records.transaction(
              Effect.gen(function* () {
                yield* units.create({ id: op.id as OrgUnitId, name: "doomed", versionId })
                yield* Effect.result(units.move(created[op.unit] as OrgUnitId, created[op.parent] as OrgUnitId))
                return yield* Effect.fail(new Conflict({ model: "Test", id: op.id, message: "abort" }))
              })
            )
          })
        )
        out.push(["aborted", exitTag(exit)])
        break
      }
      case "page": {
        const exit = await as(
          Effect.flatMap(Effect.service(Records), (r) =>
            r.list(OrgUnitModel, { orderBy: [{ field: "name" }], limit: 2, select: ["name"], ...(cursor === undefined ? {} : { cursor }) })
          )
        )
        if (Exit.isSuccess(exit)) cursor = exit.value.cursor
        out.push(["page", Exit.isSuccess(exit) ? exit.value.items.map((item) => [item.id, item.name]) : exitTag(exit)])
        break
      }
    }
  }
  const units = (await h.inspectAccount(OrgUnitModel, account.accountId))
    .map((row) => unitView(row as Partial<OrgUnit>))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)))
  const projectRows = (await h.inspectAccount(DataSourceModel, account.accountId))
    .filter((row) => projects.includes(String(row["id"])))
    .map((row) => [row["id"], row["name"], row["version"]])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
  out.push(["final", units, projectRows])
  return out
}

/** Registers the parity property. */
export const parityScenarios = (h: () => Harness, options: ConformanceOptions) => {
  scenario("random operation sequences give the same results as the memory store (3 seeded runs of 40 steps)", async () => {
    const reference = makeHarness({ name: "memory reference", store: MemoryStore.layer() })
    try {
      for (const offset of [1, 2, 3]) {
        const seed = (options.seed ?? 20261124) + offset
        const ops = randomOps(seed, 40)
        const expected = await runOps(reference.harness, ops)
        const actual = await runOps(h(), ops)
        expect(actual, `parity with seed ${seed}`).toEqual(expected)
      }
    } finally {
      await reference.dispose()
    }
  })
}
