/**
 * IASO's catalogue of project feature flags (codes, categories, order, whether a flag needs an
 * authenticated app, whether it is dangerous). The `Projects` service writes missing rows of this
 * catalogue on first use, as global catalogue rows are written elsewhere (matching algorithms).
 * @module
 */
import type { FeatureFlagCategory } from "./feature-flags.ts"

/** One entry of {@link FEATURE_FLAG_CATALOGUE}. */
export interface FeatureFlagEntry {
  /** The flag's code, IASO's. */
  readonly code: string
  /** A short label. */
  readonly name: string
  /** The flag's category (IASO's). */
  readonly category: FeatureFlagCategory
  /** Position in its category. */
  readonly order: number
  /** Only allowed in a project whose app requires authentication. */
  readonly requiresAuthentication: boolean
  /** Changes the app in ways that may lose data or track users. */
  readonly isDangerous: boolean
}

const entry = (
  code: string,
  name: string,
  category: FeatureFlagCategory,
  order: number,
  options: { readonly auth?: boolean; readonly dangerous?: boolean } = {}
): FeatureFlagEntry => ({ code, name, category, order, requiresAuthentication: options.auth ?? false, isDangerous: options.dangerous ?? false })

/** The flag that makes a project's app require a login (`Project.needsAuthentication` mirrors it). */
export const REQUIRE_AUTHENTICATION = "REQUIRE_AUTHENTICATION"
/** The flag that limits the org units a mobile user downloads to the hierarchy of its roots. */
export const LIMIT_OU_DOWNLOAD_TO_ROOTS = "LIMIT_OU_DOWNLOAD_TO_ROOTS"

/** IASO's project feature flags, as seeded at the reference commit. */
export const FEATURE_FLAG_CATALOGUE: ReadonlyArray<FeatureFlagEntry> = [
  entry(REQUIRE_AUTHENTICATION, "Require authentication", "DCO", 1),
  entry("FORMS_AUTO_UPLOAD", "Upload finalized forms automatically", "DCO", 2),
  entry("TAKE_GPS_ON_FORM", "Take a GPS position when a form is opened", "DCO", 3),
  entry("DATA_COLLECTION", "Data collection", "DCO", 4),
  entry("MOBILE_FINALIZED_FORM_ARE_READ", "Finalized forms are read-only", "DCO", 5),
  entry("MOBILE_SUBMISSION_INCOMPLETE_BY_DEFAULT", "Submissions are incomplete by default", "DCO", 6),
  entry("MOBILE_SYNCHRONIZE_WITH_ZIP", "Synchronize with a zip file", "DCO", 30, { auth: true }),
  entry(LIMIT_OU_DOWNLOAD_TO_ROOTS, "Download only the user's org units", "REO", 7),
  entry("MOBILE_FORCE_OU_UPDATE", "Force org unit updates", "REO", 8),
  entry("MOBILE_FORCE_FORMS_UPDATE", "Force form updates", "REO", 9),
  entry("MOBILE_CHECK_OU_UPDATE", "Check for org unit updates", "REO", 10),
  entry("MOBILE_CHECK_FORMS_UPDATE", "Check for form updates", "REO", 11),
  entry("SHOW_DETAIL_MAP_ON_MOBILE", "Show a detail map", "GEO", 12),
  entry("CHECK_POSITION_FOR_FORMS", "Check the position before a form", "GEO", 13),
  entry("MOBILE_SELECT_CLOSEST_ORG_UNIT", "Select the closest org unit", "GEO", 14),
  entry("MOBILE_CHANGE_REQUESTS_TAB", "Change requests tab", "DAV", 15),
  entry("MOBILE_ORG_UNIT_REGISTRY", "Org unit registry", "DAV", 16, { auth: true }),
  entry("SHOW_LINK_INSTANCE_REFERENCE", "Link reference submissions", "DAV", 17),
  entry("MOBILE_VALIDATION_WORKFLOW", "Validation workflow", "DAV", 31, { auth: true }),
  entry("ENTITY", "Entities", "ENT", 18, { auth: true }),
  entry("MOBILE_ENTITY_NO_CREATION", "No entity creation", "ENT", 19),
  entry("MOBILE_ENTITY_WARN_WHEN_FOUND", "Warn when an entity is found", "ENT", 20),
  entry("MOBILE_ENTITY_LIMITED_SEARCH", "Limited entity search", "ENT", 21),
  entry("WRITE_ON_NFC_CARDS", "Write on NFC cards", "ENT", 22),
  entry("PLANNING", "Planning", "PLA", 23, { auth: true }),
  entry("MOBILE_STOCK", "Stock management", "STM", 1),
  entry("TRANSPORT_TRACKING", "Transport tracking", "SPO", 24, { dangerous: true }),
  entry("GPS_TRACKING", "GPS tracking", "SPO", 25, { dangerous: true }),
  entry("MOBILE_HIDE_CLOSED_ORG_UNIT", "Hide closed org units", "SPO", 26, { dangerous: true }),
  entry("MOBILE_USE_ETHIOPIC_CALENDAR", "Ethiopic calendar", "SPO", 27, { dangerous: true }),
  entry("MOBILE_NO_ORG_UNIT", "No org unit", "SPO", 28, { dangerous: true }),
  entry("REPORTS", "Reports", "SPO", 29, { dangerous: true })
]
