import { ALL_MODELS, CORE_MIGRATIONS, declaredSchema, foldMigrations } from "@iaso/core"
import { describe, expect, it } from "vitest"

describe("migrations", () => {
  it("the SDK's migrations build exactly the declared models: columns, indexes, hierarchy and scope", () => {
    const built = foldMigrations(CORE_MIGRATIONS)
    expect([...built.keys()].sort()).toEqual(ALL_MODELS.map((model) => model.name).sort())
    for (const model of ALL_MODELS) expect(built.get(model.name), model.name).toEqual(declaredSchema(model))
  })

  it("migration ids are unique and sorted, so every adapter applies them in the same order", () => {
    const ids = CORE_MIGRATIONS.map((migration) => migration.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    for (const id of ids) expect(id).toMatch(/^\d{4}_[a-z0-9_]+$/)
  })

  it("every index names existing columns and every partial index uses the closed condition language", () => {
    for (const [name, schema] of foldMigrations(CORE_MIGRATIONS)) {
      const columns = new Set(schema.columns.map((column) => column.name))
      for (const index of schema.indexes) {
        for (const field of index.fields) expect(columns.has(field), `${name}.${index.name}.${field}`).toBe(true)
        for (const condition of index.where ?? []) expect(columns.has(condition.field), `${name}.${index.name} where ${condition.field}`).toBe(true)
      }
    }
  })

  it("index names are unique across the store (SQL needs it)", () => {
    const names = [...foldMigrations(CORE_MIGRATIONS).values()].flatMap((schema) => schema.indexes.map((index) => index.name))
    expect(new Set(names).size).toBe(names.length)
  })
})
