/**
 * Dialect-neutral migrations: helpers to write them and to fold a list into the schema it builds.
 * Every adapter compiles the same list; a test checks that folding the SDK's list gives exactly
 * the declared models (so a model change without a migration fails).
 * @module
 */
import { type AnyModel, type Column, type IndexDecl, metaOf } from "./model.ts"
import type { Migration, MigrationStep } from "./store.ts"

/** The schema of one model as migrations build it. */
export interface ModelSchema {
  readonly model: string
  readonly scope: "account" | "global"
  readonly columns: ReadonlyArray<Column>
  readonly indexes: ReadonlyArray<IndexDecl>
  readonly hierarchy?: { readonly path: string; readonly depth: string; readonly parent: string }
}

/** The steps that create a model as declared now (used to write a new migration). */
export const createModelSteps = (model: AnyModel): ReadonlyArray<MigrationStep> => [
  {
    op: "createModel",
    model: model.name,
    scope: model.scope,
    columns: model.columns,
    ...(model.hierarchy === undefined ? {} : { hierarchy: model.hierarchy })
  },
  ...model.indexes.map((index): MigrationStep => ({ op: "createIndex", model: model.name, index }))
]

/** The schema a list of migrations builds, by model name (in creation order). */
export const foldMigrations = (migrations: ReadonlyArray<Migration>): ReadonlyMap<string, ModelSchema> => {
  const schemas = new Map<string, ModelSchema>()
  for (const migration of migrations) {
    for (const step of migration.steps) {
      const current = schemas.get(step.model)
      switch (step.op) {
        case "createModel":
          schemas.set(step.model, {
            model: step.model,
            scope: step.scope,
            columns: step.columns,
            indexes: [],
            ...(step.hierarchy === undefined ? {} : { hierarchy: step.hierarchy })
          })
          break
        case "addColumn":
          if (current !== undefined) schemas.set(step.model, { ...current, columns: [...current.columns, step.column] })
          break
        case "createIndex":
          if (current !== undefined) schemas.set(step.model, { ...current, indexes: [...current.indexes, step.index] })
          break
        case "dropIndex":
          if (current !== undefined) {
            schemas.set(step.model, { ...current, indexes: current.indexes.filter((index) => index.name !== step.name) })
          }
          break
      }
    }
  }
  return schemas
}

/** The schema a model declares now (to compare with {@link foldMigrations}). */
export const declaredSchema = (model: AnyModel): ModelSchema => {
  const { name, ...meta } = metaOf(model)
  return { model: name, ...meta }
}
