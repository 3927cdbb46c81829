/**
 * Account: the tenant. Every record belongs to one account (or to a global catalogue); an
 * account's own record is owned by itself (`accountId === id`).
 * @module
 */
import { Schema } from "effect"
import { AccountId } from "../shared/ids.ts"
import { Json } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { Text, TextMax, NonBlankText } from "../shared/text.ts"
import { LinkRecordId, SourceVersionId, UserId } from "../shared/entity-ids.ts"

export { AccountId }

/** IASO's account modules (`iaso/modules.py`). */
export const ACCOUNT_MODULES = [
  "DATA_COLLECTION_FORMS",
  "DEFAULT",
  "DHIS2_MAPPING",
  "EMBEDDED_LINKS",
  "ENTITIES",
  "EXTERNAL_STORAGE",
  "PLANNING",
  "POLIO_PROJECT",
  "REGISTRY",
  "PAYMENTS",
  "COMPLETENESS_PER_PERIOD",
  "TRYPELIM_PROJECT",
  "DATA_VALIDATION",
  "SAAS",
  "STOCK_MANAGEMENT",
  "SNT_MALARIA",
  "FORM_AI",
  "VALIDATION_WORKFLOW"
] as const

/** One account module codename. */
export const AccountModule = Schema.Literals(ACCOUNT_MODULES)
export type AccountModule = typeof AccountModule.Type

/** The Account model declaration. */
export const AccountModel = defineModel({
  name: "Account",
  id: AccountId,
  scope: "account",
  fields: {
    /** Unique across the store, at least one character. */
    name: NonBlankText,
    /** The account's active pyramid (mobile, web creation, groups, tree default). */
    defaultVersionId: Schema.optionalKey(SourceVersionId),
    userManualPath: Schema.optionalKey(Text),
    forumPath: Schema.optionalKey(Text),
    modules: Schema.Array(AccountModule),
    analyticsScript: Schema.optionalKey(Text),
    customTranslations: Schema.optionalKey(Json),
    enforcePasswordValidation: Schema.Boolean,
    /** Form-AI key: a secret, never in public output. */
    anthropicApiKey: Schema.optionalKey(Schema.RedactedFromValue(TextMax(1000)))
  },
  indexes: [{ name: "account_name_unique", fields: ["name"], unique: true }],
  references: [{ field: "defaultVersionId", target: "SourceVersion", onDelete: "setNull" }],
  access: { read: [], write: ["iaso_account_management"] },
  secret: ["anthropicApiKey"],
  managedBy: "Accounts"
})

/** An Account (the tenant). */
export const Account = AccountModel.schema
export type Account = typeof Account.Type

/** Link record for IASO's `Account.users` many-to-many. */
export const AccountUserModel = defineModel({
  name: "AccountUser",
  id: LinkRecordId,
  scope: "account",
  fields: { userId: UserId },
  indexes: [
    { name: "account_user_unique", fields: ["accountId", "userId"], unique: true },
    { name: "account_user_user", fields: ["userId"] }
  ],
  references: [{ field: "userId", target: "User", onDelete: "cascade" }],
  access: { read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users"] }
})
/** An account's user (link record). */
export const AccountUser = AccountUserModel.schema
export type AccountUser = typeof AccountUser.Type
