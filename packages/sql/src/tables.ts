/**
 * What the SQL driver knows of its tables: each model's columns and their kinds, its unique
 * indexes and hierarchy, learnt from the migration steps; and the names of its own tables.
 * @module
 */
import type { Column, ColumnKind, MigrationStep } from "@iaso/core"

/** The ledger of applied migrations. */
export const LEDGER = "_iaso_migrations"
/** The tombstones of deleted rows (the change feed's deletions). */
export const CHANGES = "_iaso_changes"
/** The change sequence counter (one row, `seq`). */
export const COUNTER = "_iaso_counter"
/** The column holding the sequence of a row's last write. */
export const SEQ = "_seq"

/** A model's table. */
export interface TableInfo {
  readonly name: string
  readonly scope: "account" | "global"
  readonly columns: ReadonlyArray<Column>
  readonly kinds: ReadonlyMap<string, ColumnKind>
  readonly uniques: ReadonlyArray<{ readonly name: string; readonly fields: ReadonlyArray<string> }>
  readonly hierarchy?: { readonly path: string; readonly depth: string }
}

const kindsOf = (columns: ReadonlyArray<Column>) => new Map(columns.map((c) => [c.name, c.kind]))

/** Applies a migration step to the description of the tables. */
export const learnStep = (tables: Map<string, TableInfo>, step: MigrationStep): void => {
  const current = tables.get(step.model)
  switch (step.op) {
    case "createModel":
      tables.set(step.model, {
        name: step.model,
        scope: step.scope,
        columns: step.columns,
        kinds: kindsOf(step.columns),
        uniques: [],
        ...(step.hierarchy === undefined ? {} : { hierarchy: { path: step.hierarchy.path, depth: step.hierarchy.depth } })
      })
      return
    case "addColumn":
      if (current !== undefined) {
        const columns = [...current.columns, step.column]
        tables.set(step.model, { ...current, columns, kinds: kindsOf(columns) })
      }
      return
    case "createIndex":
      if (current !== undefined && step.index.unique === true) {
        tables.set(step.model, { ...current, uniques: [...current.uniques, { name: step.index.name, fields: step.index.fields }] })
      }
      return
    case "dropIndex":
      if (current !== undefined) tables.set(step.model, { ...current, uniques: current.uniques.filter((u) => u.name !== step.name) })
      return
  }
}
