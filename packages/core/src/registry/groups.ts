/**
 * Groups of org units and sets of groups, both belonging to a source version. Membership is a
 * link record; a unit and its groups must be in the same version (IASO's deferred constraint).
 * @module
 */
import { Schema } from "effect"
import { GroupId, GroupSetId, OrgUnitId, SourceVersionId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { foldKey, Text, TextMax } from "../shared/text.ts"
import { GROUP_READ } from "../tenancy/permissions.ts"

const groupAccess = { read: GROUP_READ, write: ["iaso_org_units"] }

/** The Group model declaration. */
export const GroupModel = defineModel({
  name: "Group",
  id: GroupId,
  scope: "account",
  fields: {
    name: Text,
    /** External id: the GeoPackage and diff matching key. */
    sourceRef: Schema.optionalKey(Text),
    domain: Schema.optionalKey(TextMax(10)),
    /** Marks groups made only of countries. */
    blockOfCountries: Schema.Boolean,
    versionId: SourceVersionId
  },
  derived: [{ name: "nameKey", kind: "text", compute: (row) => foldKey(String(row["name"] ?? "")) }],
  indexes: [{ name: "group_version_source_ref", fields: ["versionId", "sourceRef"] }],
  references: [{ field: "versionId", target: "SourceVersion", onDelete: "cascade" }],
  access: groupAccess,
  immutable: ["versionId"],
  managedBy: "Groups"
})
export const Group = GroupModel.schema
export type Group = typeof Group.Type

/** How many groups of a set a unit may belong to. */
export const GroupBelonging = Schema.Literals(["SINGLE", "MULTIPLE"])
export type GroupBelonging = typeof GroupBelonging.Type

/** The GroupSet model declaration. */
export const GroupSetModel = defineModel({
  name: "GroupSet",
  id: GroupSetId,
  scope: "account",
  fields: {
    name: Text,
    sourceRef: Schema.optionalKey(Text),
    versionId: SourceVersionId,
    groupBelonging: GroupBelonging
  },
  indexes: [{ name: "group_set_version_source_ref", fields: ["versionId", "sourceRef"] }],
  references: [{ field: "versionId", target: "SourceVersion", onDelete: "cascade" }],
  access: { read: ["iaso_org_units", "iaso_org_units_read"], write: ["iaso_org_units"] },
  immutable: ["versionId"],
  managedBy: "Groups"
})
export const GroupSet = GroupSetModel.schema
export type GroupSet = typeof GroupSet.Type

/** Link record: an org unit belongs to a group (`Group.org_units`). */
export const OrgUnitGroupMembershipModel = defineLink({
  name: "OrgUnitGroupMembership",
  left: { field: "groupId", target: "Group", id: GroupId },
  right: { field: "orgUnitId", target: "OrgUnit", id: OrgUnitId },
  access: groupAccess,
  managedBy: "Groups"
})
export const OrgUnitGroupMembership = OrgUnitGroupMembershipModel.schema
export type OrgUnitGroupMembership = typeof OrgUnitGroupMembership.Type

/** Link record: a group belongs to a group set (`GroupSet.groups`). */
export const GroupSetGroupModel = defineLink({
  name: "GroupSetGroup",
  left: { field: "groupSetId", target: "GroupSet", id: GroupSetId },
  right: { field: "groupId", target: "Group", id: GroupId },
  access: { read: ["iaso_org_units", "iaso_org_units_read"], write: ["iaso_org_units"] },
  managedBy: "Groups"
})
export const GroupSetGroup = GroupSetGroupModel.schema
export type GroupSetGroup = typeof GroupSetGroup.Type
