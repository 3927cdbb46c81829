/**
 * ImportGPKG: the record of one GeoPackage import into a data source (the file is kept).
 * @module
 */
import { Schema } from "effect"
import { BlobRef } from "../shared/blob.ts"
import { DataSourceId, ImportGPKGId } from "../shared/entity-ids.ts"
import { defineModel } from "../shared/model.ts"
import { TextMax } from "../shared/text.ts"

/** The ImportGPKG model declaration. */
export const ImportGPKGModel = defineModel({
  name: "ImportGPKG",
  id: ImportGPKGId,
  scope: "account",
  fields: {
    /** The imported GeoPackage. */
    file: BlobRef,
    dataSourceId: DataSourceId,
    /** Target version number (absent: the next one). */
    versionNumber: Schema.optionalKey(Schema.Int),
    description: Schema.optionalKey(TextMax(200)),
    /** Import units as VALID (else NEW). */
    defaultValid: Schema.Boolean
  },
  references: [{ field: "dataSourceId", target: "DataSource", onDelete: "cascade" }],
  access: { read: ["iaso_sources"], write: ["iaso_sources"] }
})
export const ImportGPKG = ImportGPKGModel.schema
export type ImportGPKG = typeof ImportGPKG.Type
