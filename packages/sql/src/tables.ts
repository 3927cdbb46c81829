/**
 * What the SQL driver knows of its tables: each model's columns and their kinds, its unique
 * indexes, hierarchy and primary key, learnt from the migration steps; and the names of its own
 * tables.
 * @module
 */
import { type Column, type ColumnKind, foldStep, type MigrationStep, type ModelSchema } from "@iaso/core"

/** The ledger of applied migrations. */
export const LEDGER = "_iaso_migrations"
/** The tombstones of deleted rows (the change feed's deletions), keyed by account, model and id. */
export const CHANGES = "_iaso_changes"
/** The account of a global model's tombstones (a key column cannot be NULL); read back as no account. */
export const NO_ACCOUNT = ""
/** The change sequence counter (one row, `seq`). */
export const COUNTER = "_iaso_counter"
/** The PostgreSQL sequence change sequences are drawn from where writers run concurrently (see `transactions.ts`). */
export const SEQUENCE = "_iaso_seq"
/**
 * Change sequences a draw from {@link SEQUENCE} reserves (its increment; its values are multiples
 * of it, each the last of its block): 2^41 draws (70 years at 1,000 a second) before sequences
 * leave JavaScript's safe integers. A write of up to this many rows draws one block, without
 * waiting for any other writer; a larger one draws consecutive blocks, excluding other draws until
 * it commits.
 */
export const PAGE = 4096
/** The column holding the sequence of a row's last write. */
export const SEQ = "_seq"

/** A model's table. */
export interface TableInfo {
  readonly name: string
  readonly scope: "account" | "global"
  /** The model as its migrations built it (see `foldStep`); the rest is derived from it. */
  readonly schema: ModelSchema
  readonly columns: ReadonlyArray<Column>
  readonly kinds: ReadonlyMap<string, ColumnKind>
  readonly uniques: ReadonlyArray<{ readonly name: string; readonly fields: ReadonlyArray<string> }>
  readonly hierarchy?: { readonly path: string; readonly depth: string }
}

const kindsOf = (columns: ReadonlyArray<Column>) => new Map(columns.map((c) => [c.name, c.kind]))

/** A model's table as its schema describes it. */
const tableOf = (schema: ModelSchema): TableInfo => ({
  name: schema.model,
  scope: schema.scope,
  schema,
  columns: schema.columns,
  kinds: kindsOf(schema.columns),
  uniques: schema.indexes.filter((index) => index.unique === true).map((index) => ({ name: index.name, fields: index.fields })),
  ...(schema.hierarchy === undefined ? {} : { hierarchy: { path: schema.hierarchy.path, depth: schema.hierarchy.depth } })
})

/**
 * Applies a migration step to the description of the tables: the model's schema after the step
 * (core's `foldStep`), and what the driver derives from it. A step on a model never created is
 * ignored.
 */
export const learnStep = (tables: Map<string, TableInfo>, step: MigrationStep): void => {
  const schema = foldStep(tables.get(step.model)?.schema, step)
  if (schema !== undefined) tables.set(step.model, tableOf(schema))
}
