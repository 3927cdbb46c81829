/**
 * The conformance suite runs its whole per-model set on one link record and a round trip on the
 * others: this checks which models it takes for links (those `defineLink` declares, stored alike).
 */
import { describe, expect, it } from "vitest"
import { ALL_MODELS, MODELS } from "../src/models.ts"
import type { AnyModel } from "../src/shared/model.ts"
import { isLinkModel } from "../src/testing/generic.ts"

describe("conformance: link records", () => {
  it("are the models declared with defineLink, the first one standing for all", () => {
    expect(ALL_MODELS.filter(isLinkModel).map((model) => model.name)).toEqual([
      "ProjectFeatureFlag",
      "ProjectDataSource",
      "OrgUnitTypeProject",
      "OrgUnitTypeSubType",
      "OrgUnitTypeCreatableSubType",
      "OrgUnitGroupMembership",
      "GroupSetGroup",
      "ProfileOrgUnit",
      "ProfileUserRole",
      "ProfileProject",
      "ProfileEditableOrgUnitType",
      "UserRoleEditableOrgUnitType",
      "RecordTypeProject",
      "DeviceProject",
      "MatchingAlgorithmProject",
      "ProjectForm",
      "FormOrgUnitType",
      "FormOrgUnitGroup",
      "OrgUnitTypeReferenceForm",
      "ExportStatusExportLog",
      "WorkflowFollowupForm",
      "StorageLogEntryInstance",
      "TeamUser",
      "PlanningForm",
      "PlanningTargetOrgUnitType",
      "PageUser",
      "PageUserRole",
      "BulkCreateUserCsvFileDefaultProject",
      "BulkCreateUserCsvFileDefaultUserRole",
      "BulkCreateUserCsvFileDefaultOrgUnit",
      "BulkCreateUserCsvFileDefaultTeam"
    ])
  })

  it("a link id with one reference, or a link stored otherwise (another index, another cascade), is not one", () => {
    const link: AnyModel = MODELS.ProjectForm
    expect([MODELS.AccountUser, MODELS.AccountFeatureFlagGrant].map(isLinkModel)).toEqual([false, false])
    expect(isLinkModel({ ...link, indexes: [...link.indexes, { name: "project_form_by_project", fields: ["projectId"] }] })).toBe(false)
    expect(isLinkModel({ ...link, references: link.references.map((r) => ({ ...r, onDelete: "restrict" as const })) })).toBe(false)
    expect(isLinkModel({ ...link, scope: "global" })).toBe(false)
    expect(isLinkModel(link)).toBe(true)
  })
})
