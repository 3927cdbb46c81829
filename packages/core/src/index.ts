/**
 * `@iaso/core`: the IASO domain as Effect Schemas, pure domain services, the store port and the
 * in-memory store.
 * @module
 */

// shared kernel
export * from "./shared/ids.ts"
export * from "./shared/entity-ids.ts"
export * from "./shared/errors.ts"
export * from "./shared/time.ts"
export * from "./shared/decimal.ts"
export * from "./shared/text.ts"
export * from "./shared/json.ts"
export * from "./shared/geometry.ts"
export * from "./shared/blob.ts"
export * from "./shared/model.ts"
export * from "./shared/links.ts"
export * from "./shared/query.ts"
export * from "./shared/store.ts"
export * from "./shared/engine.ts"
export * from "./shared/migrations.ts"
export * from "./shared/repository.ts"
export { fingerprint } from "./shared/cursor.ts"

// tenancy
export * from "./tenancy/permissions.ts"
export * from "./tenancy/account.ts"
export * from "./tenancy/feature-flags.ts"
export * from "./tenancy/project.ts"
export * from "./tenancy/users.ts"
export * from "./tenancy/actor.ts"

// registry
export * from "./registry/validation-status.ts"
export * from "./registry/sources.ts"
export * from "./registry/org-unit-type.ts"
export * from "./registry/org-unit.ts"
export * from "./registry/groups.ts"
export * from "./registry/import-gpkg.ts"
export * from "./registry/org-units.ts"
export * from "./registry/sources-service.ts"
export * from "./registry/org-unit-types-service.ts"
export * from "./registry/groups-service.ts"
export * from "./registry/pyramid-import.ts"
export * from "./registry/dhis2-import.ts"
export * from "./registry/geojson.ts"
export * from "./registry/versions-service.ts"
export * from "./registry/matching-service.ts"

// records, audit
export * from "./records/record.ts"
export * from "./audit/audit-entry.ts"

// the rest of the model
export * from "./devices/devices.ts"
export * from "./tasks/task.ts"
export * from "./registry/matching.ts"
export * from "./forms/form.ts"
export * from "./forms/form-version.ts"
export * from "./forms/mapping.ts"
export * from "./entities/entity.ts"
export * from "./submissions/instance.ts"
export * from "./submissions/export.ts"
export * from "./entities/workflow.ts"
export * from "./storage/storage.ts"
export * from "./planning/team.ts"
export * from "./planning/planning.ts"
export * from "./pages/page.ts"
export * from "./comments/comment.ts"
export * from "./users/bulk-create-user-csv-file.ts"

// models, migrations, services, stores
export * from "./models.ts"
export * from "./migrations.ts"
export * from "./services.ts"
export * from "./memory/index.ts"
export * from "./iaso.ts"
