/**
 * How the models' declarations become IndexedDB object stores and indexes (the migration steps
 * are applied inside an `upgradeneeded` transaction by `upgrade.ts`).
 *
 * Layout of the database:
 * - one object store per model, named after the model, holding {@link StoredRecord}s. An account
 *   model keyed by account (`keyedByAccount`, every account model from migration 0005 on) is keyed
 *   `[r.accountId, r.id]`, so two accounts may hold the same id and an account's rows are one key
 *   range, in id order; a global catalogue (and an account model of the older layout) is keyed
 *   `r.id` (ids unique store-wide, like the SQL primary key). {@link storeKey} gives a record's key;
 * - account models of the older layout have an `@account` index on `[r.accountId, r.id]` (an
 *   account's rows in id order: what the primary key of a store keyed by account gives), and every
 *   declared index becomes `i:<name>` on `[r.accountId, ...fields]` (global models: `[...fields]`),
 *   so every query of one account is a key range;
 * - every unique index also becomes `u:<name>`, a unique index on the computed key `u.<name>`
 *   (see {@link uniqueKeyOf}): absent when the row is outside a partial index or a key field is
 *   absent, so IndexedDB itself refuses a second row with the same key;
 * - the change feed: every record carries the sequence of its last write (`s`), and an `@seq`
 *   index on `[r.accountId, s, r.version]` lists an account's live records in sequence order
 *   (each once, at its last change); deleted records leave a tombstone in `_tombstones`, keyed by
 *   model, account and id (`[model, k, id]`, `k` being the account id or `""` for the global
 *   catalogues; databases made before migration 0005 keyed them `[model, id]` and are rebuilt by
 *   their next upgrade), with an `account_seq` index on `[k, seq]`; a tombstone is removed when its
 *   record is written again;
 * - `_meta` holds the migrations ledger and the change-sequence counter.
 * @module
 */
import { type Column, foldStep, type IndexDecl, type Migration, type MigrationStep, type ModelSchema, type Row, uniqueKeyOf } from "@iaso/core/store"
import { recordKey } from "@iaso/core/overlay"

/** The store of the ledger and the sequence counter (out-of-line keys). */
export const META = "_meta"
/** The tombstones of deleted records (the live records' changes are in each store's {@link SEQ_INDEX}). */
export const TOMBSTONES = "_tombstones"
/** The key path of the tombstones: model, account (`k`) and id (see {@link tombstoneKey}). */
export const TOMBSTONE_KEY_PATH: ReadonlyArray<string> = ["model", "k", "id"]
/** The tombstones' index on `[k, seq]`. */
export const TOMBSTONES_BY_ACCOUNT = "account_seq"
/** Key of the migrations ledger in {@link META}. */
export const LEDGER_KEY = "ledger"
/** Key of the change-sequence counter in {@link META}. */
export const SEQ_KEY = "seq"
/** The index of an account's rows in id order (account models not keyed by account). */
export const ACCOUNT_INDEX = "@account"
/**
 * The change feed of a model's live records: `[r.accountId, s, r.version]` (global models:
 * `[s, r.version]`), so each record is in the feed once, at its last change, read with key cursors.
 */
export const SEQ_INDEX = "@seq"

/** What one model's object store holds per record. */
export interface StoredRecord {
  /** The stored row (the encoded record and its derived columns). */
  readonly r: Row
  /** The change sequence of the record's last write. */
  readonly s: number
  /** The computed unique keys, by unique index (absent: not constrained). */
  readonly u?: { readonly [index: string]: string }
  /** Nullable indexed fields as index keys: the value, or {@link ABSENT} when absent. */
  readonly k?: { readonly [field: string]: string | number }
}

/**
 * The index key of an absent value of a nullable indexed field. IndexedDB leaves a record out of
 * an index when a key field is missing; this number sorts before every number and string, where
 * the reference semantics put absent values, so every row is in every index.
 */
export const ABSENT = -Infinity

/** The tombstone of a deleted record (one per record, removed when the record is written again). */
export interface StoredTombstone {
  readonly model: string
  readonly id: string
  readonly accountId: string | null
  readonly seq: number
  readonly version: number
  /** The account id, or `""` for a global catalogue (a valid key, unlike `null`). */
  readonly k: string
}

/** A declared, non-unique ordered index as the planner sees it. */
export interface IndexInfo {
  readonly name: string
  /** The IndexedDB index name. */
  readonly idbName: string
  /** The fields after the account prefix (account models) or all of them (global models). */
  readonly fields: ReadonlyArray<string>
  /** Whether every field is a key type (text or number) and a valid key path segment. */
  readonly usable: boolean
}

/** A unique index and where its computed key lives. */
export interface UniqueInfo {
  readonly name: string
  readonly decl: IndexDecl
  /** The property of `StoredRecord.u` holding the key. */
  readonly prop: string
  /** The IndexedDB index name. */
  readonly idbName: string
}

/** One model's store as the driver sees it. */
export interface TableInfo {
  readonly name: string
  readonly scope: "account" | "global"
  /** The model as its migrations built it (see `foldStep`); the rest is derived from it. */
  readonly schema: ModelSchema
  /** Whether the store is keyed `[r.accountId, r.id]` (`schema.keyedByAccount`) rather than `r.id`: see {@link storeKey}. */
  readonly keyedByAccount: boolean
  readonly columns: ReadonlyMap<string, Column>
  readonly indexes: ReadonlyArray<IndexInfo>
  readonly uniques: ReadonlyArray<UniqueInfo>
  /** Nullable fields of usable indexes: indexed through `StoredRecord.k`. */
  readonly keyed: ReadonlySet<string>
  readonly hierarchy?: { readonly path: string; readonly depth: string }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** The IndexedDB name of a declared index. */
export const indexName = (name: string): string => `i:${name}`
/** The IndexedDB name of a unique index's computed key index. */
export const uniqueIndexName = (name: string): string => `u:${name}`
/** The `u` property of a unique index (a valid key path segment whatever the index's name). */
export const uniqueProp = (name: string): string => (IDENTIFIER.test(name) ? name : `x${[...name].map((c) => c.codePointAt(0)?.toString(16) ?? "").join("_")}`)

/** The fields of a declared index after the account prefix that every account key starts with. */
const fieldsAfterAccount = (scope: "account" | "global", fields: ReadonlyArray<string>): ReadonlyArray<string> =>
  scope === "account" && fields[0] === "accountId" ? fields.slice(1) : fields

/** The key path of a declared index (nullable fields through their key-safe copy in `k`). */
export const indexKeyPath = (table: TableInfo, fields: ReadonlyArray<string>): Array<string> => [
  ...(table.scope === "account" ? ["r.accountId"] : []),
  ...fieldsAfterAccount(table.scope, fields).map((field) => (table.keyed.has(field) ? `k.${field}` : `r.${field}`))
]

const keyKinds = new Set(["text", "integer", "real"])

const indexInfo = (scope: "account" | "global", columns: ReadonlyMap<string, Column>, decl: IndexDecl): IndexInfo => {
  const fields = fieldsAfterAccount(scope, decl.fields)
  return {
    name: decl.name,
    idbName: indexName(decl.name),
    fields,
    usable: decl.fields.every((field) => IDENTIFIER.test(field) && keyKinds.has(columns.get(field)?.kind ?? "json"))
  }
}

/**
 * Applies one step to the driver's description of the stores: the model's schema after the step
 * (core's `foldStep`), and what IndexedDB derives from it. Whether a declared index gets an
 * IndexedDB index is decided when it is created, from the columns then (an index keeps that
 * description until it is dropped or created again); a nullable field of such an index is indexed
 * through `k` from then on.
 */
export const learn = (tables: Map<string, TableInfo>, step: MigrationStep): void => {
  const current = step.op === "createModel" ? undefined : tables.get(step.model)
  const schema = foldStep(current?.schema, step)
  if (schema === undefined) return
  const columns = current !== undefined && step.op !== "addColumn" ? current.columns : new Map(schema.columns.map((column) => [column.name, column]))
  const keyed = new Set(current?.keyed)
  const indexes: Array<IndexInfo> = []
  for (const decl of schema.indexes) {
    const created = step.op === "createIndex" && decl === step.index
    const info = created ? indexInfo(schema.scope, columns, decl) : current?.indexes.find((index) => index.name === decl.name)
    if (info === undefined || !info.usable) continue
    indexes.push(info)
    if (created) for (const field of info.fields) if (columns.get(field)?.nullable === true) keyed.add(field)
  }
  tables.set(step.model, {
    name: schema.model,
    scope: schema.scope,
    schema,
    keyedByAccount: schema.keyedByAccount === true,
    columns,
    indexes,
    uniques: schema.indexes
      .filter((decl) => decl.unique === true)
      .map((decl) => ({ name: decl.name, decl, prop: uniqueProp(decl.name), idbName: uniqueIndexName(decl.name) })),
    keyed,
    ...(schema.hierarchy === undefined ? {} : { hierarchy: { path: schema.hierarchy.path, depth: schema.hierarchy.depth } })
  })
}

/** The key path of a model's object store: `[r.accountId, r.id]` when it is keyed by account, else `r.id`. */
export const storeKeyPath = (table: TableInfo): string | Array<string> => (table.keyedByAccount ? ["r.accountId", "r.id"] : "r.id")

/** An IndexedDB index of a model's object store. */
export interface StoreIndex {
  readonly name: string
  readonly keyPath: string | Array<string>
  readonly unique: boolean
}

/**
 * Every IndexedDB index of a model's object store, as its description says (see the module): the
 * `@account` index (account models not keyed by account), the `@seq` index, and for each declared
 * index its `i:` index (when its fields are usable) and, when unique, its `u:` index.
 */
export const storeIndexes = (table: TableInfo): Array<StoreIndex> => {
  const out: Array<StoreIndex> = []
  if (table.scope === "account" && !table.keyedByAccount) out.push({ name: ACCOUNT_INDEX, keyPath: ["r.accountId", "r.id"], unique: false })
  out.push({ name: SEQ_INDEX, keyPath: table.scope === "account" ? ["r.accountId", "s", "r.version"] : ["s", "r.version"], unique: false })
  for (const decl of table.schema.indexes) {
    if (table.indexes.some((index) => index.name === decl.name))
      out.push({ name: indexName(decl.name), keyPath: indexKeyPath(table, decl.fields), unique: false })
    const unique = table.uniques.find((u) => u.name === decl.name)
    if (unique !== undefined) out.push({ name: unique.idbName, keyPath: `u.${unique.prop}`, unique: true })
  }
  return out
}

/**
 * The IndexedDB key of a record of `table`: `[accountId, id]` in a store keyed by account, else
 * its id.
 * @param accountId - the record's account (`null`: a global catalogue's record).
 */
export const storeKey = (table: TableInfo, accountId: string | null, id: string): IDBValidKey => (table.keyedByAccount ? [accountId ?? "", id] : id)

/** The IndexedDB key of a stored row of `table` (see {@link storeKey}). */
export const rowStoreKey = (table: TableInfo, row: Row): IDBValidKey =>
  storeKey(table, table.scope === "global" ? null : String(row["accountId"]), String(row["id"]))

/** The id in a record's IndexedDB key (or a tombstone's): its last part (see {@link storeKey}). */
export const idOfKey = (key: IDBValidKey): string => String(Array.isArray(key) ? key[key.length - 1] : key)

/**
 * The overlay's record key (`recordKey` of `@iaso/core/overlay`) of the record of `table` whose
 * IndexedDB key is `key`, for a write of the account `accountId` (`null` for a global catalogue).
 * A store keyed by id does not tell an account model's account; its ids are unique store-wide, so
 * the record is named as the writer's: the overlay then refuses another account's record of the
 * same id as the IndexedDB store would.
 */
export const recordKeyOf = (table: TableInfo, key: IDBValidKey, accountId: string | null): string =>
  Array.isArray(key) ? recordKey(String(key[0]), String(key[1])) : recordKey(table.scope === "global" ? null : accountId, String(key))

/** The key of a record's tombstone in {@link TOMBSTONES} (`accountId`: `null` for a global catalogue). */
export const tombstoneKey = (model: string, accountId: string | null, id: string): IDBValidKey => [model, accountId ?? "", id]

/** The stores the given (applied) migrations describe. */
export const tablesOf = (migrations: ReadonlyArray<Migration>): Map<string, TableInfo> => {
  const tables = new Map<string, TableInfo>()
  for (const migration of migrations) for (const step of migration.steps) learn(tables, step)
  return tables
}

/** The key-safe copies of a row's nullable indexed fields. */
export const keyedValues = (table: TableInfo, row: Row): { [field: string]: string | number } => {
  const out: { [field: string]: string | number } = {}
  for (const field of table.keyed) {
    const value = row[field]
    out[field] = typeof value === "string" || (typeof value === "number" && !Number.isNaN(value)) ? value : ABSENT
  }
  return out
}

/** The stored form of a row. */
export const recordOf = (table: TableInfo, row: Row, seq: number): StoredRecord => {
  const record: { r: Row; s: number; u?: { [index: string]: string }; k?: { [field: string]: string | number } } = { r: row, s: seq }
  if (table.uniques.length > 0) record.u = uniqueKeys(table, row)
  if (table.keyed.size > 0) record.k = keyedValues(table, row)
  return record
}

/** The computed unique keys of a row. */
export const uniqueKeys = (table: TableInfo, row: Row): { [index: string]: string } => {
  const out: { [index: string]: string } = {}
  for (const unique of table.uniques) {
    const key = uniqueKeyOf(row, unique.decl)
    if (key !== null) out[unique.prop] = key
  }
  return out
}
