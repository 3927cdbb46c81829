/**
 * Mappings: how a form's answers become DHIS2 data (aggregate data values, events, tracker
 * entities) or derived aggregations, for one data source whose credentials reach the DHIS2 server.
 * A mapping has one version per form version, holding the question-to-data-element mapping as JSON;
 * a new form version copies the previous version's mappings. Both are written through the
 * `Mappings` service (and `FormVersions`, which copies them).
 * @module
 */
import { Schema } from "effect"
import { DataSourceId, FormId, FormVersionId, MappingId, MappingVersionId } from "../shared/entity-ids.ts"
import { JsonObject } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"

/** Mapping types, IASO's exact codes: DHIS2 data sets, single-event programs, tracker programs, derived forms. */
export const MAPPING_TYPES = ["AGGREGATE", "EVENT", "EVENT_TRACKER", "DERIVED"] as const
/** A mapping type code. */
export const MappingType = Schema.Literals(MAPPING_TYPES)
export type MappingType = typeof MappingType.Type

/** In a version's `question_mappings`: the question is deliberately left unmapped. */
export const QUESTION_MAPPING_NEVER_MAPPED = "neverMapped"
/** In a version's `question_mappings`: each choice of a multiple-choice question maps to its own data element. */
export const QUESTION_MAPPING_MULTIPLE = "multiple"

/** Where an exported event's date comes from (`event_date_source` in an EVENT mapping's JSON). */
export const EVENT_DATE_SOURCES = ["FROM_SUBMISSION_CREATED_AT", "FROM_SUBMISSION_PERIOD"] as const
/** An event date source. */
export const EventDateSource = Schema.Literals(EVENT_DATE_SOURCES)
export type EventDateSource = typeof EventDateSource.Type

const mappingAccess = { read: ["iaso_mappings"], write: ["iaso_mappings"] }
/** Mappings and their versions are written through the `Mappings` service only. */
const MAPPINGS = "Mappings"

/** The Mapping model declaration. */
export const MappingModel = defineModel({
  name: "Mapping",
  id: MappingId,
  scope: "account",
  fields: {
    /** IASO's API leaves it empty. */
    name: Text,
    /** The DHIS2 side: its credentials give the server's url and login. */
    dataSourceId: DataSourceId,
    formId: Schema.optionalKey(FormId),
    mappingType: MappingType
  },
  indexes: [
    { name: "mapping_form_source_type", fields: ["formId", "dataSourceId", "mappingType"] },
    { name: "mapping_data_source", fields: ["dataSourceId"] }
  ],
  references: [
    { field: "dataSourceId", target: "DataSource", onDelete: "cascade" },
    { field: "formId", target: "Form", onDelete: "restrict" }
  ],
  access: mappingAccess,
  managedBy: MAPPINGS
})
/** A mapping record. */
export const Mapping = MappingModel.schema
export type Mapping = typeof Mapping.Type

/** The MappingVersion model declaration. */
export const MappingVersionModel = defineModel({
  name: "MappingVersion",
  id: MappingVersionId,
  scope: "account",
  fields: {
    /** Unique per form version. */
    name: Text,
    /** The mapping itself; its shape depends on the mapping type (`question_mappings`, `aggregations`...). */
    json: JsonObject,
    formVersionId: FormVersionId,
    mappingId: Schema.optionalKey(MappingId)
  },
  indexes: [
    { name: "mapping_version_name_unique", fields: ["accountId", "formVersionId", "name"], unique: true },
    { name: "mapping_version_mapping", fields: ["mappingId"] }
  ],
  references: [
    { field: "formVersionId", target: "FormVersion", onDelete: "cascade" },
    { field: "mappingId", target: "Mapping", onDelete: "cascade" }
  ],
  access: mappingAccess,
  managedBy: MAPPINGS
})
/** A mapping version record. */
export const MappingVersion = MappingVersionModel.schema
export type MappingVersion = typeof MappingVersion.Type
