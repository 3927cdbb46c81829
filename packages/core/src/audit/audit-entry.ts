/**
 * AuditEntry: who changed which record, from where, with the values before and after.
 * @module
 */
import { Schema } from "effect"
import { AuditEntryId, UserId } from "../shared/entity-ids.ts"
import { RecordJson } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, Text } from "../shared/text.ts"

/** The AuditEntry model declaration. */
export const AuditEntryModel = defineModel({
  name: "AuditEntry",
  id: AuditEntryId,
  scope: "account",
  fields: {
    /** The model of the changed record, e.g. `OrgUnit`. */
    objectModel: NonBlankTextMax(100),
    /** The changed record's id. */
    objectId: Text,
    /** Where the change came from, e.g. `ORG_UNIT_API`, `GPKG_IMPORT`. */
    source: NonBlankTextMax(100),
    /** The actor's user, absent for system actors. */
    userId: Schema.optionalKey(UserId),
    /** Encoded record before the change (absent on creation). */
    before: Schema.optionalKey(RecordJson),
    /** Encoded record after the change (absent on deletion). */
    after: Schema.optionalKey(RecordJson)
  },
  indexes: [{ name: "audit_entry_object", fields: ["objectModel", "objectId"] }],
  references: [{ field: "userId", target: "User", onDelete: "setNull" }],
  access: { read: ["iaso_users", "iaso_org_units", "iaso_forms", "iaso_submissions"], write: [] },
  // Readable by an actor who may read the audited record (its model's permission, its row scope).
  rowScope: { kind: "audited" },
  managedBy: "services (audit entries are written by the service that changes a record)"
})
export const AuditEntry = AuditEntryModel.schema
export type AuditEntry = typeof AuditEntry.Type
