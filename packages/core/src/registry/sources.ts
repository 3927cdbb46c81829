/**
 * Data sources, their versions (each a pyramid of org units) and the credentials of external
 * systems (DHIS2). A data source has an explicit owning account (IASO derives it through projects).
 * @module
 */
import { Schema } from "effect"
import { DataSourceId, ExternalCredentialsId, ProjectId, SourceVersionId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, Text } from "../shared/text.ts"
import { SOURCE_READ } from "../tenancy/permissions.ts"
import { ValidationStatus } from "./validation-status.ts"

/** The ExternalCredentials model declaration: login to an external system; the password is a secret. */
export const ExternalCredentialsModel = defineModel({
  name: "ExternalCredentials",
  id: ExternalCredentialsId,
  scope: "account",
  fields: {
    name: Text,
    login: Text,
    /** Stored by adapters, never part of a listed or public encoded output. */
    password: Schema.RedactedFromValue(Text),
    url: Text
  },
  access: { read: ["iaso_sources"], write: ["iaso_write_sources"] },
  secret: ["password"]
})
export const ExternalCredentials = ExternalCredentialsModel.schema
export type ExternalCredentials = typeof ExternalCredentials.Type

/** The DataSource model declaration. */
export const DataSourceModel = defineModel({
  name: "DataSource",
  id: DataSourceId,
  scope: "account",
  fields: {
    /** Unique in the account (IASO: unique across tenants; a deliberate difference). */
    name: NonBlankTextMax(255),
    /** Blocks org-unit writes. */
    readOnly: Schema.Boolean,
    description: Schema.optionalKey(Text),
    credentialsId: Schema.optionalKey(ExternalCredentialsId),
    /** The source's current version. */
    defaultVersionId: Schema.optionalKey(SourceVersionId),
    /** Validation statuses shown in the tree (no duplicates). */
    treeConfigStatusFields: Schema.Array(ValidationStatus).check(
      Schema.makeFilter((statuses) => new Set(statuses).size === statuses.length || "statuses must not repeat")
    ),
    /** Lets anyone read one of its versions or org units without a permission code (scoping still applies). */
    public: Schema.Boolean
  },
  indexes: [{ name: "data_source_name_unique", fields: ["accountId", "name"], unique: true }],
  references: [
    { field: "credentialsId", target: "ExternalCredentials", onDelete: "setNull" },
    { field: "defaultVersionId", target: "SourceVersion", onDelete: "setNull" }
  ],
  access: { read: SOURCE_READ, write: ["iaso_write_sources"] }
})
export const DataSource = DataSourceModel.schema
export type DataSource = typeof DataSource.Type

/** Link record: a project uses a data source (`DataSource.projects`). */
export const ProjectDataSourceModel = defineLink({
  name: "ProjectDataSource",
  left: { field: "projectId", target: "Project", id: ProjectId },
  right: { field: "dataSourceId", target: "DataSource", id: DataSourceId },
  access: { read: SOURCE_READ, write: ["iaso_write_sources"] }
})
export const ProjectDataSource = ProjectDataSourceModel.schema
export type ProjectDataSource = typeof ProjectDataSource.Type

/** The SourceVersion model declaration. */
export const SourceVersionModel = defineModel({
  name: "SourceVersion",
  id: SourceVersionId,
  scope: "account",
  fields: {
    dataSourceId: DataSourceId,
    /** Unique per data source. */
    number: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2147483647 })),
    description: Schema.optionalKey(Text)
  },
  indexes: [{ name: "source_version_number_unique", fields: ["accountId", "dataSourceId", "number"], unique: true }],
  references: [{ field: "dataSourceId", target: "DataSource", onDelete: "cascade" }],
  access: { read: SOURCE_READ, write: ["iaso_write_sources", "iaso_sources"] },
  immutable: ["dataSourceId", "number"]
})
export const SourceVersion = SourceVersionModel.schema
export type SourceVersion = typeof SourceVersion.Type
