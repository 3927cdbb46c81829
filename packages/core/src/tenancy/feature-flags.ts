/**
 * Feature flags: two global catalogues. {@link FeatureFlag} defines a project-level (mobile app)
 * setting; {@link AccountFeatureFlag} an account-level one. Codes are the business keys.
 * @module
 */
import { Schema } from "effect"
import { AccountFeatureFlagId, FeatureFlagId, LinkRecordId, ProjectId } from "../shared/entity-ids.ts"
import { Json, JsonObject } from "../shared/json.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, Text } from "../shared/text.ts"

/** FeatureFlag categories, in IASO's display order. */
export const FEATURE_FLAG_CATEGORIES = ["DCO", "REO", "GEO", "DAV", "ENT", "PLA", "STM", "SPO", "NA"] as const
export const FeatureFlagCategory = Schema.Literals(FEATURE_FLAG_CATEGORIES)
export type FeatureFlagCategory = typeof FeatureFlagCategory.Type

/** The FeatureFlag model declaration (global catalogue). */
export const FeatureFlagModel = defineModel({
  name: "FeatureFlag",
  id: FeatureFlagId,
  scope: "global",
  fields: {
    /** Unique code, e.g. `REQUIRE_AUTHENTICATION`. */
    code: NonBlankTextMax(100),
    name: NonBlankTextMax(100),
    requiresAuthentication: Schema.Boolean,
    description: Text,
    category: FeatureFlagCategory,
    /** `{ key: { type, default, description } }` when the flag takes a configuration. */
    configurationSchema: Schema.optionalKey(JsonObject),
    order: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 32767 })),
    isDangerous: Schema.Boolean
  },
  indexes: [{ name: "feature_flag_code_unique", fields: ["code"], unique: true }],
  access: { read: [], write: ["iaso_projects"] }
})
export const FeatureFlag = FeatureFlagModel.schema
export type FeatureFlag = typeof FeatureFlag.Type

/** The AccountFeatureFlag model declaration (global catalogue). */
export const AccountFeatureFlagModel = defineModel({
  name: "AccountFeatureFlag",
  id: AccountFeatureFlagId,
  scope: "global",
  fields: {
    /** Unique code, e.g. `ALLOW_SHAPE_EDITION`. */
    code: NonBlankTextMax(255),
    name: NonBlankTextMax(255)
  },
  indexes: [{ name: "account_feature_flag_code_unique", fields: ["code"], unique: true }],
  access: { read: [], write: ["iaso_account_management"] }
})
export const AccountFeatureFlag = AccountFeatureFlagModel.schema
export type AccountFeatureFlag = typeof AccountFeatureFlag.Type

/** Link record: the owning account has an account feature flag (`Account.feature_flags`). */
export const AccountFeatureFlagGrantModel = defineModel({
  name: "AccountFeatureFlagGrant",
  id: LinkRecordId,
  scope: "account",
  fields: { accountFeatureFlagId: AccountFeatureFlagId },
  indexes: [
    { name: "account_feature_flag_grant_unique", fields: ["accountId", "accountFeatureFlagId"], unique: true },
    { name: "account_feature_flag_grant_by_flag", fields: ["accountFeatureFlagId"] }
  ],
  references: [{ field: "accountFeatureFlagId", target: "AccountFeatureFlag", onDelete: "cascade" }],
  access: { read: [], write: ["iaso_account_management"] }
})
export const AccountFeatureFlagGrant = AccountFeatureFlagGrantModel.schema
export type AccountFeatureFlagGrant = typeof AccountFeatureFlagGrant.Type

/** Link record: a project has a feature flag, with its configuration (`ProjectFeatureFlags`). */
export const ProjectFeatureFlagModel = defineLink({
  name: "ProjectFeatureFlag",
  left: { field: "projectId", target: "Project", id: ProjectId },
  right: { field: "featureFlagId", target: "FeatureFlag", id: FeatureFlagId },
  extra: { configuration: Schema.optionalKey(Json) },
  access: { read: [], write: ["iaso_projects"] },
  managedBy: "Projects"
})
export const ProjectFeatureFlag = ProjectFeatureFlagModel.schema
export type ProjectFeatureFlag = typeof ProjectFeatureFlag.Type
