/**
 * RecordType and Record (exported as `DataRecord`: `Record` would shadow TypeScript's `Record`):
 * a decimal value of a type for an org unit in a version. IASO keeps them as dead models; the SDK
 * stores them faithfully.
 * @module
 */
import { Schema } from "effect"
import { decimalOf } from "../shared/decimal.ts"
import { DataRecordId, OrgUnitId, ProjectId, RecordTypeId, SourceVersionId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"

const recordAccess = { read: ["iaso_org_units", "iaso_org_units_read"], write: ["iaso_org_units"] }

/** The RecordType model declaration. */
export const RecordTypeModel = defineModel({
  name: "RecordType",
  id: RecordTypeId,
  scope: "account",
  fields: { name: Text, description: Text },
  access: recordAccess
})
export const RecordType = RecordTypeModel.schema
export type RecordType = typeof RecordType.Type

/** Link record: a record type belongs to a project (`RecordType.projects`). */
export const RecordTypeProjectModel = defineLink({
  name: "RecordTypeProject",
  left: { field: "recordTypeId", target: "RecordType", id: RecordTypeId },
  right: { field: "projectId", target: "Project", id: ProjectId },
  access: recordAccess
})
export const RecordTypeProject = RecordTypeProjectModel.schema
export type RecordTypeProject = typeof RecordTypeProject.Type

/** A `decimal(19, 10)` value as a decimal string. */
export const RecordValue = decimalOf(19, 10)

/** The Record model declaration, exported as {@link DataRecord}. */
export const DataRecordModel = defineModel({
  name: "DataRecord",
  id: DataRecordId,
  scope: "account",
  fields: {
    value: RecordValue,
    versionId: Schema.optionalKey(SourceVersionId),
    orgUnitId: Schema.optionalKey(OrgUnitId),
    recordTypeId: Schema.optionalKey(RecordTypeId)
  },
  indexes: [{ name: "data_record_org_unit", fields: ["orgUnitId"] }],
  references: [
    { field: "versionId", target: "SourceVersion", onDelete: "cascade" },
    { field: "orgUnitId", target: "OrgUnit", onDelete: "cascade" },
    { field: "recordTypeId", target: "RecordType", onDelete: "cascade" }
  ],
  access: recordAccess,
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] }
})
/** IASO's `Record`. */
export const DataRecord = DataRecordModel.schema
export type DataRecord = typeof DataRecord.Type
