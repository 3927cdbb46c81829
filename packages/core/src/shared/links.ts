/**
 * Link records: each many-to-many relation of the diagram is a model of its own holding the two
 * ids, unique per pair, indexed both ways, deleted with either end.
 * @module
 */
import type { Schema } from "effect"
import { LinkRecordId } from "./entity-ids.ts"
import { type AccessDecl, defineModel, type RowScopeDecl } from "./model.ts"

/** One end of a link. */
export interface LinkEnd<F extends string, S extends Schema.Top> {
  readonly field: F
  readonly target: string
  readonly id: S
}

/**
 * Declares a link record model between two models of the same account. A link with an org-unit
 * end is row-scoped by it (an actor restricted to org units sees the links of its units only)
 * unless `rowScope` says otherwise; `managedBy` names the service that owns its writes.
 */
export const defineLink = <
  const Name extends string,
  const LF extends string,
  LS extends Schema.Top,
  const RF extends string,
  RS extends Schema.Top,
  const Extra extends Schema.Struct.Fields = Record<never, never>
>(decl: {
  readonly name: Name
  readonly left: LinkEnd<LF, LS>
  readonly right: LinkEnd<RF, RS>
  readonly extra?: Extra
  readonly access: AccessDecl
  readonly rowScope?: RowScopeDecl
  readonly managedBy?: string
}) => {
  const fields = { [decl.left.field]: decl.left.id, [decl.right.field]: decl.right.id, ...(decl.extra ?? {}) } as {
    readonly [K in LF]: LS
  } & { readonly [K in RF]: RS } & Extra
  const orgUnitEnds = [decl.left, decl.right].filter((end) => end.target === "OrgUnit").map((end) => end.field)
  const rowScope: RowScopeDecl | undefined = decl.rowScope ?? (orgUnitEnds.length === 0 ? undefined : { kind: "orgUnit", fields: orgUnitEnds })
  const snake = decl.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()
  return defineModel({
    name: decl.name,
    id: LinkRecordId,
    scope: "account",
    fields,
    indexes: [
      { name: `${snake}_pair_unique`, fields: ["accountId", decl.left.field, decl.right.field], unique: true },
      { name: `${snake}_by_${decl.right.field.toLowerCase()}`, fields: [decl.right.field, decl.left.field] }
    ],
    references: [
      { field: decl.left.field, target: decl.left.target, onDelete: "cascade" },
      { field: decl.right.field, target: decl.right.target, onDelete: "cascade" }
    ],
    access: decl.access,
    ...(rowScope === undefined ? {} : { rowScope }),
    ...(decl.managedBy === undefined ? {} : { managedBy: decl.managedBy })
  })
}
