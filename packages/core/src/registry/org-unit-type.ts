/**
 * Org-unit types: levels of the pyramid (country, region, district, facility...), scoped to
 * projects, with the allowed child types forming a graph of types.
 * @module
 */
import { Schema } from "effect"
import { OrgUnitTypeId, ProjectId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, TextMax } from "../shared/text.ts"

/** Org-unit type categories. */
export const ORG_UNIT_TYPE_CATEGORIES = ["COUNTRY", "REGION", "DISTRICT", "HF"] as const
export const OrgUnitTypeCategory = Schema.Literals(ORG_UNIT_TYPE_CATEGORIES)
export type OrgUnitTypeCategory = typeof OrgUnitTypeCategory.Type

const typeAccess = { read: [], write: ["iaso_org_unit_types"] }

/** The OrgUnitType model declaration. */
export const OrgUnitTypeModel = defineModel({
  name: "OrgUnitType",
  id: OrgUnitTypeId,
  scope: "account",
  fields: {
    /** Not unique: "the same type" is the same name and depth within an account. */
    name: NonBlankTextMax(255),
    shortName: TextMax(255),
    category: Schema.optionalKey(OrgUnitTypeCategory),
    /** Level in the pyramid (1 = top by convention). */
    depth: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 32767 })))
  },
  indexes: [{ name: "org_unit_type_name_depth", fields: ["accountId", "name", "depth"] }],
  access: typeAccess
})
export const OrgUnitType = OrgUnitTypeModel.schema
export type OrgUnitType = typeof OrgUnitType.Type

/** Link record: a type belongs to a project (`OrgUnitType.projects`). */
export const OrgUnitTypeProjectModel = defineLink({
  name: "OrgUnitTypeProject",
  left: { field: "orgUnitTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  right: { field: "projectId", target: "Project", id: ProjectId },
  access: typeAccess
})
export const OrgUnitTypeProject = OrgUnitTypeProjectModel.schema
export type OrgUnitTypeProject = typeof OrgUnitTypeProject.Type

/** Link record: an allowed child type (`sub_unit_types`; its reverse is `super_types`). */
export const OrgUnitTypeSubTypeModel = defineLink({
  name: "OrgUnitTypeSubType",
  left: { field: "orgUnitTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  right: { field: "subTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  access: typeAccess
})
export const OrgUnitTypeSubType = OrgUnitTypeSubTypeModel.schema
export type OrgUnitTypeSubType = typeof OrgUnitTypeSubType.Type

/** Link record: a child type the mobile app may create (`allow_creating_sub_unit_types`). */
export const OrgUnitTypeCreatableSubTypeModel = defineLink({
  name: "OrgUnitTypeCreatableSubType",
  left: { field: "orgUnitTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  right: { field: "subTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  access: typeAccess
})
export const OrgUnitTypeCreatableSubType = OrgUnitTypeCreatableSubTypeModel.schema
export type OrgUnitTypeCreatableSubType = typeof OrgUnitTypeCreatableSubType.Type
