/**
 * IASO's permission codenames (`iaso/permissions/core_permissions.py`). An actor holds a set of
 * them; services check them and answer `Forbidden`.
 * @module
 */
import { Schema } from "effect"

/** Every permission codename the SDK checks. */
export const PERMISSIONS = [
  "iaso_account_management",
  "iaso_completeness_stats",
  "iaso_data_tasks",
  "iaso_entities",
  "iaso_entity_type_write",
  "iaso_forms",
  "iaso_links",
  "iaso_mappings",
  "iaso_org_unit_types",
  "iaso_org_units",
  "iaso_org_units_change_request_review",
  "iaso_org_units_read",
  "iaso_page_write",
  "iaso_pages",
  "iaso_planning_read",
  "iaso_planning_write",
  "iaso_projects",
  "iaso_registry_read",
  "iaso_registry_write",
  "iaso_sources",
  "iaso_sources_can_change_default_version",
  "iaso_storages",
  "iaso_submissions",
  "iaso_teams",
  "iaso_update_submission",
  "iaso_users",
  "iaso_users_managed",
  "iaso_workflows",
  "iaso_write_sources"
] as const

/** A permission codename. */
export const Permission = Schema.Literals(PERMISSIONS)
export type Permission = typeof Permission.Type

/** Permissions that let an actor read org units (`HasOrgUnitPermission`, GET). */
export const ORG_UNIT_READ: ReadonlyArray<Permission> = [
  "iaso_forms",
  "iaso_org_units",
  "iaso_org_units_read",
  "iaso_submissions",
  "iaso_registry_write",
  "iaso_registry_read"
]

/** Permissions that let an actor read data sources and versions. */
export const SOURCE_READ: ReadonlyArray<Permission> = ["iaso_mappings", "iaso_org_units", "iaso_org_units_read", "iaso_links", "iaso_sources"]

/** Permissions that let an actor read groups. */
export const GROUP_READ: ReadonlyArray<Permission> = ["iaso_org_units", "iaso_org_units_read", "iaso_completeness_stats"]
