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
  /** Rows keyed by (`accountId`, `id`) rather than by `id` alone (account models, from migration 0005 on). */
  readonly keyedByAccount?: true
}

/** The steps that create a model as declared now (used to write a new migration). */
export const createModelSteps = (model: AnyModel): ReadonlyArray<MigrationStep> => [
  {
    op: "createModel",
    model: model.name,
    scope: model.scope,
    columns: model.columns,
    ...(model.hierarchy === undefined ? {} : { hierarchy: model.hierarchy }),
    ...(model.scope === "account" ? { keyedByAccount: true as const } : {})
  },
  ...model.indexes.map((index): MigrationStep => ({ op: "createIndex", model: model.name, index }))
]

/**
 * A model's schema after one more step: `createModel` starts it afresh (no indexes yet),
 * `addColumn` appends a column, `createIndex` adds an index (replacing one of the same name, the
 * new one last), `dropIndex` removes one, `keyByAccount` keys an account model by account and id. `schema` is the model's schema before the step
 * (undefined: not created); the result is undefined when the step changes a model that was never
 * created (adapters ignore or refuse such a step). Every adapter describes its tables from these
 * schemas, so they agree on the columns and indexes migrations build.
 */
export const foldStep = (schema: ModelSchema | undefined, step: MigrationStep): ModelSchema | undefined => {
  if (step.op === "createModel") {
    return {
      model: step.model,
      scope: step.scope,
      columns: step.columns,
      indexes: [],
      ...(step.hierarchy === undefined ? {} : { hierarchy: step.hierarchy }),
      ...(step.keyedByAccount === true && step.scope === "account" ? { keyedByAccount: true as const } : {})
    }
  }
  if (schema === undefined) return undefined
  switch (step.op) {
    case "addColumn":
      return { ...schema, columns: [...schema.columns, step.column] }
    case "createIndex":
      return { ...schema, indexes: [...schema.indexes.filter((index) => index.name !== step.index.name), step.index] }
    case "dropIndex":
      return { ...schema, indexes: schema.indexes.filter((index) => index.name !== step.name) }
    case "keyByAccount":
      return schema.scope === "account" ? { ...schema, keyedByAccount: true } : schema
  }
}

/** The schema a list of migrations builds, by model name (in creation order). */
export const foldMigrations = (migrations: ReadonlyArray<Migration>): ReadonlyMap<string, ModelSchema> => {
  const schemas = new Map<string, ModelSchema>()
  for (const migration of migrations) {
    for (const step of migration.steps) {
      const schema = foldStep(schemas.get(step.model), step)
      if (schema !== undefined) schemas.set(step.model, schema)
    }
  }
  return schemas
}

/** The schema a model declares now (to compare with {@link foldMigrations}). */
export const declaredSchema = (model: AnyModel): ModelSchema => {
  const { name, ...meta } = metaOf(model)
  return { model: name, ...meta, ...(model.scope === "account" ? { keyedByAccount: true as const } : {}) }
}
