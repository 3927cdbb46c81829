/**
 * Page: content an account publishes at `/pages/<slug>/`: raw HTML, plain text, an embedded
 * frame, a Power BI report or a Superset dashboard. A page is shown to the users and user roles it
 * is given to ({@link PageUser}, {@link PageUserRole}); editors (`iaso_page_write`) see every page
 * of their account.
 * @module
 */
import { Schema } from "effect"
import { PageId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import { Json } from "../shared/json.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankText, Text, TextMax } from "../shared/text.ts"
import type { Permission } from "../tenancy/permissions.ts"

/** What a page shows, IASO's values. */
export const PAGE_TYPES = ["RAW", "TEXT", "IFRAME", "POWERBI", "SUPERSET"] as const
/** What a page shows: `RAW` HTML, `TEXT`, `IFRAME` (content is a URL), `POWERBI` report, `SUPERSET` dashboard. */
export const PageType = Schema.Literals(PAGE_TYPES)
/** What a page shows. */
export type PageType = typeof PageType.Type

/** A slug (letters, digits, `-` and `_`, at least one), at most 1000 characters, as Django's `SlugField(1000)`. */
export const PageSlug = Schema.String.check(
  Schema.isPattern(/^[-a-zA-Z0-9_]+$/, { message: "Expected a slug: ASCII letters, digits, - or _ (at least one)" }),
  Schema.isMaxLength(1000)
)

/** Who may read and write pages: readers see the pages given to them, writers every page of the account. */
const pageAccess: { readonly read: ReadonlyArray<Permission>; readonly write: ReadonlyArray<Permission> } = {
  read: ["iaso_pages", "iaso_page_write"],
  write: ["iaso_page_write"]
}

/** The Page model declaration. */
export const PageModel = defineModel({
  name: "Page",
  id: PageId,
  scope: "account",
  fields: {
    name: NonBlankText,
    /** HTML (RAW), text (TEXT) or a URL (IFRAME). */
    content: Schema.optionalKey(Text),
    /** Anonymous visitors are sent to the login page. */
    needsAuthentication: Schema.Boolean,
    /** The page's address; unique in the account (IASO: unique across tenants; a deliberate difference). */
    slug: PageSlug,
    type: PageType,
    powerbiGroupId: Schema.optionalKey(Text),
    powerbiReportId: Schema.optionalKey(Text),
    powerbiDatasetId: Schema.optionalKey(Text),
    /** Filters applied to the embedded Power BI report. */
    powerbiFilters: Schema.optionalKey(Json),
    /** Language and locale of the embedded report, e.g. `en-us`. */
    powerbiLanguage: Schema.optionalKey(TextMax(20)),
    supersetDashboardId: Schema.optionalKey(Text),
    /** Display options of the embedded Superset dashboard. */
    supersetDashboardUiConfig: Schema.optionalKey(Json)
  },
  indexes: [{ name: "page_slug_unique", fields: ["accountId", "slug"], unique: true }],
  access: pageAccess,
  /** Readers see the pages given to them or to one of their roles; writers every page of the account. */
  rowScope: {
    kind: "grantedTo",
    bypass: pageAccess.write,
    users: { link: "PageUser", field: "pageId" },
    roles: { link: "PageUserRole", field: "pageId" }
  },
  managedBy: "Pages"
})
/** A Page record. */
export const Page = PageModel.schema
/** A Page record. */
export type Page = typeof Page.Type

/** Link record: a page is given to a user (`Page.users`). */
export const PageUserModel = defineLink({
  name: "PageUser",
  left: { field: "pageId", target: "Page", id: PageId },
  right: { field: "userId", target: "User", id: UserId },
  access: pageAccess,
  managedBy: "Pages"
})
/** A PageUser link record. */
export const PageUser = PageUserModel.schema
/** A PageUser link record. */
export type PageUser = typeof PageUser.Type

/** Link record: a page is given to a user role of the account (`Page.user_roles`). */
export const PageUserRoleModel = defineLink({
  name: "PageUserRole",
  left: { field: "pageId", target: "Page", id: PageId },
  right: { field: "userRoleId", target: "UserRole", id: UserRoleId },
  access: pageAccess,
  managedBy: "Pages"
})
/** A PageUserRole link record. */
export const PageUserRole = PageUserRoleModel.schema
/** A PageUserRole link record. */
export type PageUserRole = typeof PageUserRole.Type
