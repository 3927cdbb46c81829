/**
 * Generic scenarios, run through the repositories (the store port's contract) on every declared
 * model but the link records, of which one stands for all: round-trips field by field through
 * `inspect`, versions, tombstones, the change feed, every filter operator, order and paging,
 * selected fields, bulk writes, conditional uniqueness, tenant isolation. Every model, links
 * included, also gets a round trip of its own.
 * @module
 */
import { Effect, Schema } from "effect"
import { describe, expect } from "vitest"
import { scenario } from "./scenario.ts"
import { runQuery, type TextOrder } from "../shared/engine.ts"
import { defineLink } from "../shared/links.ts"
import type { AnyModel, Row } from "../shared/model.ts"
import type { Condition, Direction, StoreQuery } from "../shared/query.ts"
import { codecOf, type FieldCondition } from "../shared/repository.ts"
import { boundaryRecord, type Input, isOptionalField, makeUnique, optionalFields, sampleField, sampleRecords, satisfyReferences } from "./generate.ts"
import { encoded, exitError, exitTag, type Harness } from "./harness.ts"

const idOf = (value: unknown): string => String((value as { readonly id: unknown }).id)

/** Generates `count` valid, unique inputs of a model with their references created. */
const prepareInputs = (h: Harness, accountId: string, model: AnyModel, inputs: ReadonlyArray<Input>) =>
  h.run(
    Effect.gen(function* () {
      const repos = yield* Effect.promise(() => h.repos())
      return yield* Effect.forEach(inputs, (input, i) => satisfyReferences(repos, accountId, model, makeUnique(model, input), h.seed + i))
    })
  )

/** `base` with every optional field present: missing ones taken from the other samples, else generated. */
const withEveryField = async (h: Harness, model: AnyModel, base: Input, samples: ReadonlyArray<Input>, seed: number): Promise<Input> => {
  const present: Input = { ...base }
  const missing: Array<string> = []
  for (const field of optionalFields(model)) {
    if (field in present) continue
    const donor = samples.find((sample) => field in sample)
    if (donor !== undefined) {
      present[field] = donor[field]
      continue
    }
    const [value] = await h.run(sampleField(model, field, 1, seed + field.length))
    if (value === undefined) missing.push(field)
    else present[field] = value
  }
  expect(missing, `${model.name}: the generator never produced these optional fields`).toEqual([])
  return present
}

/** Inputs covering: arbitrary samples, every optional field absent, every optional field present, boundary values. */
const variedInputs = async (h: Harness, model: AnyModel, seed: number): Promise<ReadonlyArray<Input>> => {
  const samples = await h.run(sampleRecords(model, Math.max(h.samples, 4) * 3, seed))
  const absent: Input = { ...(samples[0] ?? {}) }
  for (const field of optionalFields(model)) delete absent[field]
  const present = await withEveryField(h, model, samples[1] ?? {}, samples, seed)
  const boundaries = [0, 1, 2].map((i) => boundaryRecord(model, samples[2 + i] ?? {}, i))
  return [absent, present, ...boundaries, ...samples.slice(5, 5 + h.samples)].map(({ id: _id, ...rest }) => rest)
}

/** Compares a stored row with the expected record field by field (naming the field on mismatch). */
const expectStored = (model: AnyModel, row: Row | undefined, expected: unknown) => {
  expect(row, `${model.name} ${idOf(expected)} is stored`).toBeDefined()
  const decoded = Schema.decodeUnknownSync(model.schema as unknown as Schema.Codec<unknown, unknown>)(row)
  const actual = encoded(model, decoded)
  const wanted = encoded(model, expected)
  for (const field of Object.keys(model.schema.fields as object)) {
    expect(field in actual, `${model.name}.${field} presence`).toBe(field in wanted)
    expect(actual[field], `${model.name}.${field}`).toEqual(wanted[field])
  }
}

const scalarColumns = (model: AnyModel) => model.columns.filter((column) => column.kind !== "json" && column.name !== "accountId")

/** The system columns, alike on every model (the account is never filtered on alone). */
const SYSTEM_COLUMNS = new Set(["id", "version", "createdAt", "updatedAt"])

/**
 * The columns a model's filter and order scenarios go through: its own, and the system columns
 * where one of its indexes holds them (stores plan with indexes) or where `systemColumns` is set
 * (on the models that stand for all the others).
 */
const checkedColumns = (model: AnyModel, systemColumns: boolean) =>
  scalarColumns(model).filter(
    (column) =>
      systemColumns || !SYSTEM_COLUMNS.has(column.name) || model.indexes.some((index) => [...index.fields, ...(index.include ?? [])].includes(column.name))
  )

/** The conditions worth testing on a column, built from a present value. */
const conditionsFor = (column: string, kind: string, value: unknown, other: unknown): ReadonlyArray<FieldCondition> => {
  const out: Array<FieldCondition> = [
    { field: column, op: "eq", value },
    { field: column, op: "ne", value },
    { field: column, op: "lt", value },
    { field: column, op: "lte", value },
    { field: column, op: "gt", value },
    { field: column, op: "gte", value },
    { field: column, op: "in", value: [value, other] },
    { field: column, op: "notIn", value: [value] },
    { field: column, op: "isNull" },
    { field: column, op: "isNotNull" }
  ]
  if (kind === "text" && typeof value === "string") {
    // Sliced by code point: half of a surrogate pair is not text any store can compare.
    const points = [...value]
    out.push({ field: column, op: "startsWith", value: points.slice(0, 2).join("") })
    out.push({ field: column, op: "contains", value: points.slice(1, 3).join("") })
    out.push({ field: column, op: "startsWithAny", value: [points.slice(0, 1).join(""), "\u{10FFFF}"] })
  }
  return out
}

/** The seed of a model's scenario (`salt` tells the scenarios apart). */
const modelSeed = (h: Harness, model: AnyModel, salt: number): number => h.seed + salt * 7919 + model.name.length * 104729

/** What the adapters build a model's storage from: scope, columns, indexes, references, hierarchy. */
const storageShape = (model: AnyModel): string => JSON.stringify([model.scope, model.columns, model.indexes, model.references, model.hierarchy ?? null])

/**
 * Whether a model is a link record as `defineLink` declares it (the two ids with their pair and
 * reverse indexes and cascades, extra fields allowed): rebuilt by `defineLink` from its own ends, it
 * is stored the same way.
 */
export const isLinkModel = (model: AnyModel): boolean => {
  const [left, right, ...others] = model.references
  if (left === undefined || right === undefined || others.length > 0 || model.scope !== "account") return false
  const { [left.field]: leftId, [right.field]: rightId, ...extra } = model.fields as Record<string, Schema.Top>
  if (leftId === undefined || rightId === undefined) return false
  const rebuilt = defineLink({
    name: model.name,
    left: { field: left.field, target: left.target, id: leftId },
    right: { field: right.field, target: right.target, id: rightId },
    extra,
    access: model.access
  })
  return rebuilt.id === model.id && storageShape(rebuilt) === storageShape(model)
}

/**
 * Registers the scenarios of each model: every model gets the round trip; the whole generic set
 * runs on every model but the link records, which are stored alike (`defineLink`): the first link
 * stands for all of them. Filters and order on the system columns, alike on every model, are gone
 * through on the first model of each scope and wherever an index holds them.
 */
export const modelScenarios = (h: () => Harness, models: ReadonlyArray<AnyModel>, textOrder: () => TextOrder) => {
  const representative = models.find(isLinkModel)
  const systemStandIns = new Set((["account", "global"] as const).map((scope) => models.find((model) => model.scope === scope)))
  for (const model of models) {
    describe(model.name, () => {
      roundTripScenario(h, model)
      if (model === representative || !isLinkModel(model)) genericScenarios(h, model, textOrder, systemStandIns.has(model))
    })
  }
}

/**
 * Registers a model's round trip: a record with every field is created, read back and listed equal
 * to what was stored; updated when the model has a field besides its references; removed.
 */
export const roundTripScenario = (h: () => Harness, model: AnyModel) =>
  scenario(`${model.name}: a record with every field is created, read back, listed, updated (fields besides its references) and removed`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const seed = modelSeed(harness, model, 12)
    const samples = await harness.run(sampleRecords(model, 4, seed))
    const full = await Promise.all([0, 1].map((i) => withEveryField(harness, model, samples[i] ?? {}, samples, seed + i)))
    const [first, second] = await prepareInputs(harness, account.accountId, model, full)
    const repos = await harness.repos()
    const readBack = async (expected: unknown) => {
      const id = idOf(expected)
      expect(encoded(model, await harness.run(repos.get(model, account.accountId, id)))).toEqual(encoded(model, expected))
      expectStored(
        model,
        (await harness.inspectAccount(model, account.accountId)).find((row) => row["id"] === id),
        expected
      )
      const page = await harness.run(repos.list(model, account.accountId, { where: [{ field: "id", op: "eq", value: id }] }))
      expect(page.items.map((item) => encoded(model, item))).toEqual([encoded(model, expected)])
      expect(await harness.run(repos.count(model, account.accountId, [{ field: "id", op: "eq", value: id }]))).toBe(1)
    }
    const created = await harness.run(repos.insert(model, account.accountId, withoutId(first)))
    expect((created as { readonly version: number }).version).toBe(1)
    await readBack(created)
    const patch = patchFrom(model, withoutId(second))
    const updatable = Object.keys(model.fields as object).some((field) => !model.references.some((r) => r.field === field))
    expect(Object.keys(patch).length > 0, `${model.name}: the patch holds its fields besides references`).toBe(updatable)
    if (updatable) {
      const updated = await harness.run(repos.update(model, account.accountId, idOf(created), patch, { expectedVersion: 1 }))
      expect((updated as { readonly version: number }).version).toBe(2)
      await readBack(updated)
    }
    await harness.run(repos.remove(model, account.accountId, idOf(created)))
    expect(exitTag(await harness.exit(repos.get(model, account.accountId, idOf(created))))).toBe("NotFound")
    expect((await harness.inspectAccount(model, account.accountId)).some((row) => row["id"] === idOf(created))).toBe(false)
  })

/**
 * Registers the generic scenarios of one model; `systemColumns`: its filter and order scenarios
 * also go through the system columns no index of the model holds.
 */
export const genericScenarios = (h: () => Harness, model: AnyModel, textOrder: () => TextOrder, systemColumns: boolean) => {
  const seedOf = (salt: number) => modelSeed(h(), model, salt)

  scenario(`${model.name}: creates and reads back every field exactly (optional absent and present, boundary values), as stored`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const inputs = await prepareInputs(harness, account.accountId, model, await variedInputs(harness, model, seedOf(1)))
    const repos = await harness.repos()
    const created = await harness.run(Effect.forEach(inputs, (input) => repos.insert(model, account.accountId, input)))
    const stored = await harness.inspect(model)
    const byId = new Map(stored.map((entry) => [String(entry.row["id"]), entry.row]))
    for (const record of created) {
      const fetched = await harness.run(repos.get(model, account.accountId, idOf(record)))
      expect(encoded(model, fetched)).toEqual(encoded(model, record))
      expectStored(model, byId.get(idOf(record)), record)
      const version = (record as { readonly version: number }).version
      expect(version).toBe(1)
      const { createdAt, updatedAt } = record as { readonly createdAt: Date; readonly updatedAt: Date }
      expect(createdAt.getTime()).toBe(updatedAt.getTime())
    }
    const many = await harness.run(repos.getMany(model, account.accountId, created.map(idOf)))
    expect(many.map(idOf).sort()).toEqual(created.map(idOf).sort())
  })

  scenario(`${model.name}: an update needs the current version and bumps it; a stale version is a VersionConflict`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const [first, second] = await prepareInputs(harness, account.accountId, model, await harness.run(sampleRecords(model, 2, seedOf(2))))
    const repos = await harness.repos()
    const created = await harness.run(repos.insert(model, account.accountId, withoutId(first)))
    const patch = patchFrom(model, second ?? {})
    const updated = await harness.run(repos.update(model, account.accountId, idOf(created), patch, { expectedVersion: 1 }))
    expect((updated as { readonly version: number }).version).toBe(2)
    const stale = await harness.exit(repos.update(model, account.accountId, idOf(created), patch, { expectedVersion: 1 }))
    expect(exitTag(stale)).toBe("VersionConflict")
    expect(exitError(stale)).toMatchObject({ expected: 1, actual: 2 })
    const [row] = (await harness.inspect(model)).filter((entry) => entry.row["id"] === idOf(created))
    expect(row?.row["version"]).toBe(2)
    expectStored(model, row?.row, updated)
  })

  scenario(`${model.name}: a delete leaves a tombstone in the change feed and the record is gone`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const [input] = await prepareInputs(harness, account.accountId, model, await harness.run(sampleRecords(model, 1, seedOf(3))))
    const repos = await harness.repos()
    const created = await harness.run(repos.insert(model, account.accountId, withoutId(input)))
    const before = await drainChanges(harness, account.accountId)
    await harness.run(repos.remove(model, account.accountId, idOf(created)))
    expect(exitTag(await harness.exit(repos.get(model, account.accountId, idOf(created))))).toBe("NotFound")
    expect((await harness.inspect(model)).some((entry) => entry.row["id"] === idOf(created))).toBe(false)
    const page = await harness.run(repos.changesSince(account.accountId, before))
    expect(page.changes.map(({ model: m, id, deleted, version }) => ({ m, id, deleted, version }))).toEqual([
      { m: model.name, id: idOf(created), deleted: true, version: 1 }
    ])
    expect(exitTag(await harness.exit(repos.remove(model, account.accountId, idOf(created))))).toBe("NotFound")
  })

  scenario(`${model.name}: the change feed lists each written record once, at its latest version, in commit order`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const inputs = await prepareInputs(harness, account.accountId, model, await harness.run(sampleRecords(model, 4, seedOf(4))))
    const repos = await harness.repos()
    const cursor = await drainChanges(harness, account.accountId)
    const created = await harness.run(Effect.forEach(inputs.slice(0, 3), (input) => repos.insert(model, account.accountId, withoutId(input))))
    const target = created[1]
    await harness.run(repos.update(model, account.accountId, idOf(target), patchFrom(model, inputs[3] ?? {})))
    const page = await harness.run(repos.changesSince(account.accountId, cursor))
    const mine = page.changes.filter((change) => change.model === model.name)
    expect(mine.map((c) => [c.id, c.version, c.deleted])).toEqual([
      [idOf(created[0]), 1, false],
      [idOf(created[2]), 1, false],
      [idOf(target), 2, false]
    ])
    const seqs = page.changes.map((c) => c.seq)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    const after = await harness.run(repos.changesSince(account.accountId, page.cursor))
    expect(after.changes).toEqual([])
  })

  scenario(`${model.name}: every filter operator on every column returns what the reference semantics select`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const inputs = await prepareInputs(harness, account.accountId, model, await variedInputs(harness, model, seedOf(5)))
    const repos = await harness.repos()
    const created = await harness.run(Effect.forEach(inputs, (input) => repos.insert(model, account.accountId, input)))
    const codec = codecOf(model)
    const rows = created.map((record) => codec.toRow(record) as Row)
    const mine: FieldCondition = { field: "id", op: "in", value: created.map(idOf) }
    const checked: Array<string> = []
    for (const column of checkedColumns(model, systemColumns)) {
      const withValue = rows.filter((row) => row[column.name] !== undefined)
      const holder = withValue[Math.floor(withValue.length / 2)]
      if (holder === undefined) continue
      const record = created[rows.indexOf(holder)] as Record<string, unknown>
      const value = column.name in (model.schema.fields as object) ? record[column.name] : holder[column.name]
      const otherRow = withValue.find((row) => row !== holder)
      const other =
        otherRow === undefined
          ? value
          : column.name in (model.schema.fields as object)
            ? (created[rows.indexOf(otherRow)] as Record<string, unknown>)[column.name]
            : otherRow[column.name]
      for (const condition of conditionsFor(column.name, column.kind, value, other)) {
        const [compiled] = compile(model, condition)
        const expected = runQuery(rows, { where: [compiled as Condition], orderBy: [{ field: "id", direction: "asc" }] }, textOrder()).map((row) =>
          String(row["id"])
        )
        const page = await harness.run(repos.list(model, account.accountId, { where: [mine, condition], limit: 10_000 }))
        expect(
          page.items.map(idOf),
          `${model.name} where ${column.name} ${condition.op} ${JSON.stringify("value" in condition ? (condition as { readonly value: unknown }).value : null)}`
        ).toEqual(expected)
        const count = await harness.run(repos.count(model, account.accountId, [mine, condition]))
        expect(count).toBe(expected.length)
        checked.push(`${column.name}:${condition.op}`)
      }
    }
    expect(checked.length).toBeGreaterThan(0)
  })

  scenario(`${model.name}: ordering by each column with cursor paging returns every record once, in order`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const inputs = await prepareInputs(harness, account.accountId, model, await variedInputs(harness, model, seedOf(6)))
    const repos = await harness.repos()
    const created = await harness.run(Effect.forEach(inputs, (input) => repos.insert(model, account.accountId, input)))
    const rows = created.map((record) => codecOf(model).toRow(record) as Row)
    for (const column of checkedColumns(model, systemColumns).filter((c) => c.name !== "id")) {
      for (const direction of ["asc", "desc"] as ReadonlyArray<Direction>) {
        const query: StoreQuery = {
          where: [],
          orderBy: [
            { field: column.name, direction },
            { field: "id", direction: "asc" }
          ]
        }
        const expected = runQuery(rows, query, textOrder()).map((row) => String(row["id"]))
        const seen: Array<string> = []
        let cursor: string | undefined
        for (let pages = 0; pages < 100; pages++) {
          const page = await harness.run(
            repos.list(model, account.accountId, {
              where: [{ field: "id", op: "in", value: created.map(idOf) }],
              orderBy: [{ field: column.name, direction }],
              limit: 3,
              ...(cursor === undefined ? {} : { cursor })
            })
          )
          seen.push(...page.items.map(idOf))
          cursor = page.cursor
          if (cursor === undefined) break
        }
        expect(seen, `${model.name} ordered by ${column.name} ${direction}`).toEqual(expected)
      }
    }
  })

  scenario(`${model.name}: selected fields return only those fields and the id`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const inputs = await prepareInputs(harness, account.accountId, model, await harness.run(sampleRecords(model, 3, seedOf(7))))
    const repos = await harness.repos()
    const created = await harness.run(Effect.forEach(inputs, (input) => repos.insert(model, account.accountId, withoutId(input))))
    const field = Object.keys(model.schema.fields as object).find((name) => !["id", "accountId"].includes(name) && !isOptionalField(model, name)) ?? "version"
    const page = await harness.run(
      repos.list(model, account.accountId, { where: [{ field: "id", op: "in", value: created.map(idOf) }], select: [field], limit: 100 })
    )
    expect(page.items.length).toBe(created.length)
    for (const item of page.items) {
      expect(Object.keys(item).sort()).toEqual([...new Set(["id", field])].sort())
      const original = created.find((record) => idOf(record) === idOf(item))
      expect(encoded(model, original)[field]).toEqual(
        Schema.encodeUnknownSync((model.schema.fields as Record<string, Schema.Top>)[field] as Schema.Codec<unknown, unknown>)(
          (item as Record<string, unknown>)[field]
        )
      )
    }
  })

  scenario(`${model.name}: a bulk write reports each item's failure and writes the others; atomic writes none`, async () => {
    const harness = h()
    const account = await harness.bareAccount()
    const inputs = await prepareInputs(harness, account.accountId, model, await harness.run(sampleRecords(model, 5, seedOf(8))))
    const repos = await harness.repos()
    const existing = await harness.run(repos.insert(model, account.accountId, withoutId(inputs[0])))
    const batch = [withoutId(inputs[1]), { ...withoutId(inputs[2]), id: idOf(existing) }, { ...withoutId(inputs[3]), unknownField: 1 }, withoutId(inputs[4])]
    const before = (await harness.inspectAccount(model, account.accountId)).length
    const atomic = await harness.exit(repos.insertMany(model, account.accountId, batch, { atomic: true }))
    expect(exitTag(atomic)).toBe("AlreadyExists")
    expect((await harness.inspectAccount(model, account.accountId)).length).toBe(before)
    const result = await harness.run(repos.insertMany(model, account.accountId, batch))
    expect(result.items.map((item) => (item._tag === "Ok" ? "Ok" : item.error._tag))).toEqual(["Ok", "AlreadyExists", "ValidationError", "Ok"])
    expect([result.succeeded, result.failed]).toEqual([2, 2])
    expect((await harness.inspectAccount(model, account.accountId)).length).toBe(before + 2)
  })

  if (model.indexes.some((index) => index.unique === true)) {
    scenario(`${model.name}: storage refuses a second record with the same unique values (and allows those outside a partial index)`, async () => {
      const harness = h()
      const account = await harness.bareAccount()
      const repos = await harness.repos()
      for (const index of model.indexes.filter((i) => i.unique === true)) {
        const keyFields = index.fields.filter((field) => field !== "accountId" && field !== "id")
        const candidates = (await harness.run(sampleRecords(model, 40, seedOf(9) + index.name.length, 60))).filter((sample) =>
          keyFields.every((field) => sample[field] !== undefined)
        )
        expect(candidates.length, `${model.name} ${index.name}: samples with every key field`).toBeGreaterThanOrEqual(2)
        const [a, b] = await prepareInputs(harness, account.accountId, model, candidates.slice(0, 2))
        const first = satisfyIndex(withoutId(a), index.where ?? [])
        const created = await harness.run(repos.insert(model, account.accountId, first))
        const createdRecord = created as Record<string, unknown>
        const clash: Input = satisfyIndex(withoutId(b), index.where ?? [])
        for (const field of index.fields) if (field !== "accountId") clash[field] = createdRecord[field]
        const exit = await harness.exit(repos.insert(model, account.accountId, clash))
        expect(exitTag(exit), `${model.name} ${index.name}`).toBe("AlreadyExists")
        expect(exitError(exit)).toMatchObject({ constraint: index.name })
        for (const condition of index.where ?? []) {
          if (condition.op !== "eq") continue
          const outside = await alternativeValue(harness, model, condition.field, condition.value)
          if (outside === undefined) continue
          const allowed = await harness.exit(repos.insert(model, account.accountId, { ...clash, [condition.field]: outside }))
          expect(exitTag(allowed), `${model.name} ${index.name} outside ${condition.field}`).toBe("Success")
        }
      }
    })
  }

  if (model.scope === "account") {
    scenario(`${model.name}: another account cannot read, count, list, change, delete or reference it, nor use its cursors`, async () => {
      const harness = h()
      const a = await harness.bareAccount()
      const b = await harness.bareAccount()
      const repos = await harness.repos()
      const countInB = await harness.run(repos.count(model, b.accountId, []))
      const inputs = await prepareInputs(harness, a.accountId, model, await harness.run(sampleRecords(model, 3, seedOf(10))))
      const created = await harness.run(Effect.forEach(inputs, (input) => repos.insert(model, a.accountId, withoutId(input))))
      const id = idOf(created[0])
      expect(exitTag(await harness.exit(repos.get(model, b.accountId, id)))).toBe("NotFound")
      expect(await harness.run(repos.getMany(model, b.accountId, [id]))).toEqual([])
      expect((await harness.run(repos.list(model, b.accountId, { where: [{ field: "id", op: "eq", value: id }] }))).items).toEqual([])
      expect(await harness.run(repos.count(model, b.accountId, []))).toBe(countInB)
      expect(exitTag(await harness.exit(repos.update(model, b.accountId, id, {})))).toBe("NotFound")
      expect(exitTag(await harness.exit(repos.remove(model, b.accountId, id)))).toBe("NotFound")
      const page = await harness.run(repos.list(model, a.accountId, { limit: 1 }))
      expect(page.cursor).toBeDefined()
      const foreignCursor = await harness.exit(repos.list(model, b.accountId, { limit: 1, cursor: page.cursor ?? "" }))
      expect(exitTag(foreignCursor)).toBe("ValidationError")
      const changes = await harness.run(repos.changesSince(b.accountId, undefined))
      expect(changes.changes.some((change) => change.id === id)).toBe(false)
      // A record of B that references A's record is refused.
      for (const referrer of harness.models.filter((m) => m.scope === "account" && m.references.some((r) => r.target === model.name))) {
        const reference = referrer.references.find((r) => r.target === model.name)
        if (reference === undefined) continue
        const [sample] = await prepareInputs(harness, b.accountId, referrer, await harness.run(sampleRecords(referrer, 1, seedOf(11))))
        const exit = await harness.exit(repos.insert(referrer, b.accountId, { ...withoutId(sample), [reference.field]: id }))
        expect(exitTag(exit), `${referrer.name}.${reference.field} -> foreign ${model.name}`).toBe("NotFound")
        break
      }
      await harness.run(Effect.void)
    })
  }
}

const withoutId = (input: Input | undefined): Input => {
  const { id: _id, ...rest } = input ?? {}
  return rest
}

/** A patch replacing every non-reference field with another sample's value. */
const patchFrom = (model: AnyModel, sample: Input): Input => {
  const references = new Set(model.references.map((r) => r.field))
  const patch: Input = {}
  for (const [key, value] of Object.entries(sample)) {
    // Immutable fields keep their first value on every path (a scenario of their own checks it).
    if (key === "id" || references.has(key) || model.immutable.includes(key)) continue
    patch[key] = value
  }
  return patch
}

const compile = (model: AnyModel, condition: FieldCondition): ReadonlyArray<Condition> => {
  const codec = codecOf(model)
  if (condition.op === "isNull" || condition.op === "isNotNull") return [{ field: condition.field, op: condition.op }]
  if (condition.op === "startsWith" || condition.op === "contains") return [{ field: condition.field, op: condition.op, value: condition.value }]
  if (condition.op === "startsWithAny") return [{ field: condition.field, op: condition.op, value: condition.value }]
  if (condition.op === "in" || condition.op === "notIn") {
    return [{ field: condition.field, op: condition.op, value: condition.value.map((v) => codec.encodeValue(condition.field, v) as string) }]
  }
  const value = (condition as { readonly value: unknown }).value
  return [{ field: condition.field, op: condition.op as "eq", value: codec.encodeValue(condition.field, value) as string }]
}

/** Adjusts an input so it falls inside a partial index's conditions. */
const satisfyIndex = (input: Input, where: ReadonlyArray<Condition>): Input => {
  const out: Input = { ...input }
  for (const condition of where) {
    if (condition.op === "eq") out[condition.field] = condition.value
    if (condition.op === "ne" && (out[condition.field] === condition.value || out[condition.field] === undefined))
      out[condition.field] = `v${String(condition.value)}x`
    if (condition.op === "isNull") delete out[condition.field]
  }
  return out
}

/** Another valid value for a field (to step outside a partial index). */
const alternativeValue = async (h: Harness, model: AnyModel, field: string, value: unknown): Promise<unknown> => {
  const samples = await h.run(sampleRecords(model, 40, h.seed + 31))
  return samples.map((s) => s[field]).find((candidate) => candidate !== undefined && candidate !== value)
}

/** Reads the whole change feed of an account and returns the cursor at its end. */
const drainChanges = async (h: Harness, accountId: string): Promise<string> => {
  const repos = await h.repos()
  let cursor: string | undefined
  for (;;) {
    const page = await h.run(repos.changesSince(accountId, cursor, 1000))
    cursor = page.cursor
    if (page.changes.length < 1000) return cursor
  }
}

export { drainChanges }
