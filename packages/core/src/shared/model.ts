/**
 * Model declarations: each aggregate declares once its Effect Schema, its owner scope, its indexes
 * (including storage-enforced conditional uniqueness), its references with their on-delete rules,
 * the columns derived from its fields for indexing (folded search keys, bounding boxes), and who
 * may read and write it. SQL DDL, IndexedDB stores and memory indexes all come from this.
 * @module
 */
import { Schema, SchemaAST } from "effect"
import { AccountId } from "./ids.ts"
import type { Condition, Scalar } from "./query.ts"
import { textProblem } from "./text.ts"
import { Instant } from "./time.ts"

/** How a column is stored. `integer` columns hold safe integers (epoch milliseconds included). */
export type ColumnKind = "text" | "integer" | "real" | "boolean" | "json"

/**
 * Why `value` is not a value every store compares exactly in a column of `kind`, or `undefined`
 * when it is: text without U+0000 and well-formed, a safe integer, a finite number, a boolean. A
 * JSON column is compared with nothing. The rule of condition values and cursor positions.
 */
export const kindProblem = (kind: ColumnKind, value: unknown): string | undefined => {
  switch (kind) {
    case "text":
      return typeof value === "string" ? textProblem(value) : "expected text"
    case "integer":
      return Number.isSafeInteger(value) ? undefined : "expected an integer"
    case "real":
      return typeof value === "number" && Number.isFinite(value) ? undefined : "expected a finite number"
    case "boolean":
      return typeof value === "boolean" ? undefined : "expected a boolean"
    case "json":
      return "a JSON field is compared with nothing"
  }
}

/** A stored column. */
export interface Column {
  readonly name: string
  readonly kind: ColumnKind
  readonly nullable: boolean
}

/**
 * An index. A `unique` index with `where` conditions is a conditional (partial) unique index:
 * it only constrains rows matching every condition, and rows where one of the fields is absent
 * are never in conflict (SQL semantics of NULL).
 */
export interface IndexDecl {
  readonly name: string
  readonly fields: ReadonlyArray<string>
  readonly unique?: boolean
  readonly where?: ReadonlyArray<Condition>
  /**
   * Columns the index also carries so that queries reading only them never visit the rows (a
   * covering index: `INCLUDE` in PostgreSQL, trailing key columns in SQLite). They change neither
   * ordering nor uniqueness; stores without covering indexes ignore them.
   */
  readonly include?: ReadonlyArray<string>
}

/** What deleting the referenced record does to the referencing ones. */
export type OnDelete = "cascade" | "setNull" | "restrict"

/** A reference from a field (holding an id) to a record of another model, in the same account. */
export interface ReferenceDecl {
  readonly field: string
  readonly target: string
  readonly onDelete: OnDelete
}

/** A column computed from the encoded record when it is written (never part of the domain record). */
export interface DerivedDecl {
  readonly name: string
  readonly kind: ColumnKind
  readonly compute: (row: Row) => Scalar | null
}

/** The materialised-path columns of a hierarchical model. */
export interface HierarchyDecl {
  readonly path: string
  readonly depth: string
  readonly parent: string
}

/** A stored row: the encoded record plus derived columns; absent values are absent keys. */
export type Row = { readonly [column: string]: unknown }

/** Who may read and write a model: any one permission of each list (an empty list: any actor of the account). */
export interface AccessDecl {
  readonly read: ReadonlyArray<string>
  readonly write: ReadonlyArray<string>
}

/**
 * How a model's rows sit in the org-unit tree, so the actor's org-unit roots restrict them on
 * every path (reads, writes, the change feed, the audit trail):
 * - `tree`: the row is an org unit: visible when its own path is under one of the roots;
 * - `orgUnit`: the rows name org units in `fields`: visible when every one of them is present and
 *   under a root (a row naming none is visible to unrestricted actors only);
 * - `parent`: the row belongs to a record of `target` named by `field` (a submission's file
 *   through its submission): visible when that record is;
 * - `referencedBy`: records of `target` point at the row through their `field` (an entity's
 *   submissions through `entityId`): visible when one of them, among those whose `live.field`
 *   equals `live.value` when `live` is given, is visible (a row no visible record points at is
 *   visible to unrestricted actors only);
 * - `audited`: an audit entry: visible when the actor may read the audited record (its model's
 *   read permission, and that record's own row scope).
 * - `profileLinks`: the actor's profile may list records of the model through `link` (a link
 *   model with a `profileId` field and `field` naming the record, e.g. a profile's projects):
 *   when it lists some, the actor sees only those; when it lists none (or the actor is the host
 *   app, or has no profile), every record;
 * - `grantedTo`: the record is given to users through `users` (a link model whose `field` names the
 *   record and whose `userId` names a user) and to user roles through `roles` (`field` and
 *   `userRoleId`): a user actor sees the records given to it or to one of its profile's roles; the
 *   host app and actors holding one of `bypass` see every record;
 * - `owner`: the record belongs to the user its `field` names (`ownerKey`: the user id, `""` for an
 *   actor without one): a user actor sees its own records only, the system actor every record.
 * Models without a row scope are not restricted by org units.
 */
export type RowScopeDecl =
  | { readonly kind: "tree" }
  | { readonly kind: "orgUnit"; readonly fields: ReadonlyArray<string> }
  | { readonly kind: "parent"; readonly field: string; readonly target: string }
  | {
      readonly kind: "referencedBy"
      readonly target: string
      readonly field: string
      readonly live?: { readonly field: string; readonly value: string | number | boolean }
    }
  | { readonly kind: "audited" }
  | { readonly kind: "profileLinks"; readonly link: string; readonly field: string }
  | { readonly kind: "owner"; readonly field: string }
  | {
      readonly kind: "grantedTo"
      readonly bypass: ReadonlyArray<string>
      readonly users: { readonly link: string; readonly field: string }
      readonly roles: { readonly link: string; readonly field: string }
    }

/** The columns every record has. */
export const SYSTEM_FIELDS = ["id", "accountId", "version", "createdAt", "updatedAt"] as const

/** A record version: 1 on insert, +1 on every write. */
export const RecordVersion = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** Runtime description of a model, the part adapters need (no schemas, no functions but derived). */
export interface ModelMeta {
  readonly name: string
  readonly scope: "account" | "global"
  readonly columns: ReadonlyArray<Column>
  readonly indexes: ReadonlyArray<IndexDecl>
  readonly hierarchy?: HierarchyDecl
}

type BaseFields<Id extends Schema.Top, S extends "account" | "global"> = S extends "account"
  ? {
      readonly id: Id
      readonly accountId: typeof AccountId
      readonly version: typeof RecordVersion
      readonly createdAt: typeof Instant
      readonly updatedAt: typeof Instant
    }
  : { readonly id: Id; readonly version: typeof RecordVersion; readonly createdAt: typeof Instant; readonly updatedAt: typeof Instant }

/** A declared model. `schema` is the entity's Effect Schema (domain record <-> stored record). */
export interface Model<
  Name extends string = string,
  Id extends Schema.Top = Schema.Top,
  S extends "account" | "global" = "account" | "global",
  Fields extends Schema.Struct.Fields = Schema.Struct.Fields,
  Secret extends string = string
> extends ModelMeta {
  readonly name: Name
  readonly scope: S
  readonly id: Id
  readonly fields: Fields
  readonly schema: Schema.Struct<BaseFields<Id, S> & Fields>
  /** The public schema: the record without secret fields (used for listings and public output). */
  readonly publicSchema: Schema.Top
  readonly references: ReadonlyArray<ReferenceDecl>
  readonly derived: ReadonlyArray<DerivedDecl>
  readonly access: AccessDecl
  /**
   * Secret (write-only) fields: never part of a public encoded output, and stripped by every
   * generic read (`Records`, the Promise facade) for every caller; only services that need the
   * value (a login check, DHIS2 credentials) read it, through the repositories.
   */
  readonly secret: ReadonlyArray<Secret>
  /** Fields that services compute and callers may not set (e.g. an org unit's path and depth). */
  readonly computed: ReadonlyArray<string>
  /** Fields set when a record is created and never changed afterwards, by any path (a form's `formId`). */
  readonly immutable: ReadonlyArray<string>
  /** How rows sit in the org-unit tree (see {@link RowScopeDecl}); absent: not restricted by org units. */
  readonly rowScope?: RowScopeDecl
  /** The service that owns writes of this model, when writes need its rules (generic writes are then refused). */
  readonly managedBy?: string
}

/** Any model. */
// biome-ignore lint/suspicious/noExplicitAny: a model of any fields must accept every declared model (Fields is invariant through Schema.Struct)
export type AnyModel = Model<string, Schema.Top, "account" | "global", any>

/** The domain record type of a model. */
export type RecordOf<M extends AnyModel> = M["schema"]["Type"]

/** The secret (write-only) field names of a model (see {@link Model.secret}). */
export type SecretOf<M extends AnyModel> = M["secret"][number]

/** The record of a model as generic reads answer it: without its secret fields. */
export type PublicRecordOf<M extends AnyModel> = Omit<RecordOf<M>, SecretOf<M>>

/**
 * The record without its secret fields (a copy; the record itself when the model has none): what
 * every generic read answers.
 */
export const withoutSecrets = <M extends AnyModel, R extends object>(model: M, record: R): R => {
  if (model.secret.length === 0) return record
  const out: Record<string, unknown> = {}
  const secret: ReadonlyArray<string> = model.secret
  for (const [key, value] of Object.entries(record)) if (!secret.includes(key)) out[key] = value
  return out as R
}

/** The stored (encoded) record type of a model. */
export type EncodedOf<M extends AnyModel> = M["schema"]["Encoded"]

const ANNOTATION = "iaso/column"

/** Forces the stored column kind of a field (when the derivation from its encoded form is not what you want). */
export const columnKind =
  (kind: ColumnKind) =>
  <S extends Schema.Top>(schema: S): S["Rebuild"] =>
    schema.annotate({ [ANNOTATION]: kind })

const hasIntCheck = (checks: SchemaAST.Checks | undefined): boolean =>
  (checks ?? []).some((check) =>
    check._tag === "FilterGroup"
      ? hasIntCheck(check.checks)
      : (check.annotations as { readonly arbitraryConstraint?: { readonly number?: unknown } } | undefined)?.arbitraryConstraint?.number === "integer" ||
        (check.annotations as { readonly representation?: { readonly id?: unknown } } | undefined)?.representation?.id === "effect/schema/isInt"
  )

const kindOfAst = (ast: SchemaAST.AST): { kind: ColumnKind; nullable: boolean } => {
  switch (ast._tag) {
    case "String":
    case "TemplateLiteral":
      return { kind: "text", nullable: false }
    case "Number":
      return { kind: hasIntCheck(ast.checks) ? "integer" : "real", nullable: false }
    case "Boolean":
      return { kind: "boolean", nullable: false }
    case "Literal":
      return {
        kind: typeof ast.literal === "string" ? "text" : typeof ast.literal === "boolean" ? "boolean" : "real",
        nullable: false
      }
    case "Union": {
      const members = ast.types.filter((member) => member._tag !== "Null" && member._tag !== "Undefined")
      const nullable = members.length !== ast.types.length
      const kinds = new Set(members.map((member) => kindOfAst(member).kind))
      const [only] = kinds
      return { kind: kinds.size === 1 && only !== undefined ? only : "json", nullable }
    }
    default:
      return { kind: "json", nullable: false }
  }
}

/** The stored column of one field, from its encoded form (or its `columnKind` annotation). */
export const columnOf = (name: string, schema: Schema.Top): Column => {
  const forced = SchemaAST.resolve(schema.ast)?.[ANNOTATION] as ColumnKind | undefined
  const encoded = SchemaAST.toEncoded(schema.ast)
  const derived = kindOfAst(encoded)
  const optional = encoded.context?.isOptional === true || schema.ast.context?.isOptional === true
  return { name, kind: forced ?? derived.kind, nullable: optional || derived.nullable }
}

/** Declares a model. See the module documentation. */
export const defineModel = <
  const Name extends string,
  Id extends Schema.Top,
  const S extends "account" | "global",
  const Fields extends Schema.Struct.Fields,
  const Secret extends keyof Fields & string = never
>(decl: {
  readonly name: Name
  readonly id: Id
  readonly scope: S
  readonly fields: Fields
  readonly indexes?: ReadonlyArray<IndexDecl>
  readonly references?: ReadonlyArray<ReferenceDecl>
  readonly derived?: ReadonlyArray<DerivedDecl>
  readonly hierarchy?: HierarchyDecl
  readonly access: AccessDecl
  readonly secret?: ReadonlyArray<Secret>
  readonly computed?: ReadonlyArray<keyof Fields & string>
  readonly immutable?: ReadonlyArray<keyof Fields & string>
  readonly rowScope?: RowScopeDecl
  readonly managedBy?: string
}): Model<Name, Id, S, Fields, Secret> => {
  const base = (
    decl.scope === "account"
      ? { id: decl.id, accountId: AccountId, version: RecordVersion, createdAt: Instant, updatedAt: Instant }
      : { id: decl.id, version: RecordVersion, createdAt: Instant, updatedAt: Instant }
  ) as BaseFields<Id, S>
  const allFields = { ...base, ...decl.fields }
  const schema = Schema.Struct(allFields)
  const secret: ReadonlyArray<Secret> = decl.secret ?? []
  const publicFields: Record<string, Schema.Top> = {}
  for (const [key, field] of Object.entries(allFields)) if (!secret.includes(key as never)) publicFields[key] = field as Schema.Top
  const derived = decl.derived ?? []
  const columns: Array<Column> = [
    ...Object.entries(allFields).map(([key, field]) => columnOf(key, field as Schema.Top)),
    ...derived.map((d) => ({ name: d.name, kind: d.kind, nullable: true }))
  ]
  const model: Model<Name, Id, S, Fields, Secret> = {
    name: decl.name,
    scope: decl.scope,
    id: decl.id,
    fields: decl.fields,
    schema,
    publicSchema: Schema.Struct(publicFields),
    columns,
    indexes: decl.indexes ?? [],
    references: decl.references ?? [],
    derived,
    access: decl.access,
    secret,
    computed: decl.computed ?? [],
    immutable: decl.immutable ?? [],
    ...(decl.rowScope === undefined ? {} : { rowScope: decl.rowScope }),
    ...(decl.hierarchy === undefined ? {} : { hierarchy: decl.hierarchy }),
    ...(decl.managedBy === undefined ? {} : { managedBy: decl.managedBy })
  }
  return model
}

/** The adapter-facing part of a model. */
export const metaOf = (model: AnyModel): ModelMeta => ({
  name: model.name,
  scope: model.scope,
  columns: model.columns,
  indexes: model.indexes,
  ...(model.hierarchy === undefined ? {} : { hierarchy: model.hierarchy })
})
