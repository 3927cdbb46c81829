/**
 * Project: an account's app (mobile `app_id`), the scope of forms, org-unit types and data sources.
 * @module
 */
import { Schema } from "effect"
import { ProjectId } from "../shared/entity-ids.ts"
import { Uuid } from "../shared/ids.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankText, Text, TextMax } from "../shared/text.ts"

/** A `#RRGGBB` colour, upper-case (IASO stores it upper-cased). */
export const HexColor = Schema.String.check(Schema.isPattern(/^#[0-9A-F]{6}$/, { message: "Expected a colour written #RRGGBB (upper-case hex)" }))

/** The Project model declaration. */
export const ProjectModel = defineModel({
  name: "Project",
  id: ProjectId,
  scope: "account",
  fields: {
    name: NonBlankText,
    /** Mobile application id, unique across the store; absent when the project has none. */
    appId: Schema.optionalKey(NonBlankText),
    /** Legacy mirror of the `REQUIRE_AUTHENTICATION` feature flag. */
    needsAuthentication: Schema.Boolean,
    /** Public token for external form links. */
    externalToken: Schema.optionalKey(Uuid),
    /** Minimum mobile app version. */
    minVersion: Schema.optionalKey(Schema.Int),
    redirectionUrl: Schema.optionalKey(TextMax(2000)),
    description: Text,
    color: Schema.optionalKey(HexColor)
  },
  indexes: [{ name: "project_app_id_unique", fields: ["appId"], unique: true }],
  access: { read: [], write: ["iaso_projects"] },
  /** A user whose profile lists projects sees only those (IASO's `filter_on_user_projects`). */
  rowScope: { kind: "profileLinks", link: "ProfileProject", field: "projectId" },
  /** The app id rules (trimmed, required, unique) and the flags live in the `Projects` service. */
  managedBy: "Projects"
})
export const Project = ProjectModel.schema
export type Project = typeof Project.Type
