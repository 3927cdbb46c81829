import { ALL_MODELS, CORE_MIGRATIONS, declaredSchema, foldMigrations, type ModelSchema } from "@iaso/core"
import { describe, expect, it } from "vitest"

describe("migrations", () => {
  it("the SDK's migrations build exactly the declared models: columns, indexes (in any order), hierarchy, scope and key", () => {
    const built = foldMigrations(CORE_MIGRATIONS)
    expect([...built.keys()].sort()).toEqual(ALL_MODELS.map((model) => model.name).sort())
    // An index created again (0005 re-made unique indexes with the account first) comes last in the fold.
    const byName = (schema: ModelSchema | undefined) =>
      schema === undefined ? undefined : { ...schema, indexes: [...schema.indexes].sort((x, y) => (x.name < y.name ? -1 : 1)) }
    for (const model of ALL_MODELS) expect(byName(built.get(model.name)), model.name).toEqual(byName(declaredSchema(model)))
  })

  it("every account model is keyed by account and id, and every unique index of one names the account first but the store-wide names", () => {
    const storeWide = ["account_name_unique", "user_username_unique", "project_app_id_unique"]
    for (const schema of foldMigrations(CORE_MIGRATIONS).values()) {
      if (schema.scope !== "account") continue
      expect(schema.keyedByAccount, schema.model).toBe(true)
      for (const index of schema.indexes) {
        if (index.unique === true && !storeWide.includes(index.name)) expect(index.fields[0], `${schema.model}.${index.name}`).toBe("accountId")
      }
    }
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
