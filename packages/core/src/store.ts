/**
 * `@iaso/core/store`: the store port, for adapters. The `Store` tag and the `StoreDriver` a store
 * implements, the shapes it reads and writes (models, rows, conditions, migrations, changes), the
 * reference semantics every store answers queries with (`matchesAll`, `compareRows`...), the
 * migration runner and the core's migrations (`CORE_MIGRATIONS`), the blob port and the errors.
 * The same names are exported by `@iaso/core`, from the same modules.
 *
 * An adapter that imports the port from here rather than from `@iaso/core` leaves the services
 * out of an app that uses the store alone, with every bundler: the index reaches the services,
 * and the services the parsers they load with a dynamic `import()`, which a bundler that splits
 * (esbuild) may put in the app's starting chunks when the entry reaches them statically.
 * @module @iaso/core/store
 */
export {
  type Change,
  type InspectedRow,
  type Migration,
  type MigrationStep,
  type PrefixRewrite,
  Store,
  type StoreCapabilities,
  type StoreDriver,
  type StoreScope,
  type SubtreeLocks,
  type SubtreeStart,
  type WriteOp,
  type WriteOutcome
} from "./shared/store.ts"
export {
  type Condition,
  type Direction,
  disjointPrefixes,
  type Operator,
  OPERATORS,
  type OrderBy,
  prefixUpperBound,
  type Scalar,
  type StoreQuery
} from "./shared/query.ts"
export {
  type AccessDecl,
  type AnyModel,
  type Column,
  columnKind,
  type ColumnKind,
  columnOf,
  defineModel,
  type DerivedDecl,
  type EncodedOf,
  type HierarchyDecl,
  type IndexDecl,
  kindProblem,
  metaOf,
  type Model,
  type ModelMeta,
  type OnDelete,
  type PublicRecordOf,
  type RecordOf,
  RecordVersion,
  type ReferenceDecl,
  type Row,
  type RowScopeDecl,
  type SecretOf,
  SYSTEM_FIELDS,
  withoutSecrets
} from "./shared/model.ts"
export { compareRows, compareScalars, isAfter, matchesAll, matchesCondition, project, runQuery, type TextOrder, uniqueKeyOf } from "./shared/engine.ts"
export { createModelSteps, declaredSchema, foldMigrations, foldStep, type ModelSchema } from "./shared/schema-folding.ts"
export { type MigrationHooks, newerStore, runMigrations, unknownMigrations } from "./shared/migration-runner.ts"
export { CORE_MIGRATIONS } from "./core-migrations.ts"
export { serializedStoreOps } from "./shared/serialized-store-ops.ts"
export { BlobRef, BlobStore, sha256Hex } from "./shared/blob.ts"
export {
  AlreadyExists,
  Conflict,
  Forbidden,
  type IasoError,
  Interrupted,
  NotFound,
  StorageError,
  StorageErrorReason,
  Unsupported,
  ValidationError,
  ValidationIssue,
  VersionConflict
} from "./shared/errors.ts"
