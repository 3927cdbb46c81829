/**
 * Matching org units across two source versions. A {@link MatchingAlgorithm} names a matching
 * procedure (a global catalogue: the same algorithms for every account, offered to projects through
 * the {@link MatchingAlgorithmProject} link record); an {@link AlgorithmRun} is one execution of an
 * algorithm from a source version onto a destination version; each {@link Link} pairs a source org
 * unit with a destination org unit, with a similarity score and a human validation.
 *
 * Not to be confused with link records (`defineLink`, shared/links.ts): a `Link` here is a domain
 * entity, the match of two org units.
 * @module
 */
import { Schema } from "effect"
import { AlgorithmRunId, LinkId, MatchingAlgorithmId, OrgUnitId, ProjectId, SourceVersionId, UserId } from "../shared/entity-ids.ts"
import { Json } from "../shared/json.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"
import type { Permission } from "../tenancy/permissions.ts"

/** Who may read and write matching records: IASO's links, algorithms and runs APIs are for `iaso_links` holders. */
const linksAccess: { readonly read: ReadonlyArray<Permission>; readonly write: ReadonlyArray<Permission> } = {
  read: ["iaso_links"],
  write: ["iaso_links"]
}

/** The MatchingAlgorithm model declaration (global catalogue: only the host app changes it). */
export const MatchingAlgorithmModel = defineModel({
  name: "MatchingAlgorithm",
  id: MatchingAlgorithmId,
  scope: "global",
  fields: {
    /** The procedure's identifier (in IASO, the dotted path of the module implementing it). */
    name: Text,
    description: Text
  },
  indexes: [{ name: "matching_algorithm_name", fields: ["name"] }],
  access: linksAccess
})
/** A MatchingAlgorithm record. */
export const MatchingAlgorithm = MatchingAlgorithmModel.schema
/** A MatchingAlgorithm record. */
export type MatchingAlgorithm = typeof MatchingAlgorithm.Type

/**
 * Link record: a matching algorithm is offered in a project of the account (`MatchingAlgorithm.projects`);
 * an algorithm offered in no project is offered everywhere.
 */
export const MatchingAlgorithmProjectModel = defineLink({
  name: "MatchingAlgorithmProject",
  left: { field: "matchingAlgorithmId", target: "MatchingAlgorithm", id: MatchingAlgorithmId },
  right: { field: "projectId", target: "Project", id: ProjectId },
  access: linksAccess
})
/** A MatchingAlgorithmProject link record. */
export const MatchingAlgorithmProject = MatchingAlgorithmProjectModel.schema
/** A MatchingAlgorithmProject link record. */
export type MatchingAlgorithmProject = typeof MatchingAlgorithmProject.Type

/** The AlgorithmRun model declaration. */
export const AlgorithmRunModel = defineModel({
  name: "AlgorithmRun",
  id: AlgorithmRunId,
  scope: "account",
  fields: {
    /** When the run finished. */
    endedAt: Schema.optionalKey(Instant),
    algorithmId: MatchingAlgorithmId,
    /** The user who started the run. */
    launcherId: Schema.optionalKey(UserId),
    /** What the run found (per-level counts for IASO's algorithms). */
    result: Schema.optionalKey(Json),
    finished: Schema.Boolean,
    /** The DESTINATION version (IASO's `version_1`, related name `runs_where_destination`). */
    version1Id: Schema.optionalKey(SourceVersionId),
    /** The SOURCE version (IASO's `version_2`, related name `runs_where_source`). */
    version2Id: Schema.optionalKey(SourceVersionId)
  },
  indexes: [
    { name: "algorithm_run_algorithm", fields: ["algorithmId"] },
    { name: "algorithm_run_version_1", fields: ["version1Id"] },
    { name: "algorithm_run_version_2", fields: ["version2Id"] },
    { name: "algorithm_run_launcher", fields: ["launcherId"] }
  ],
  references: [
    { field: "algorithmId", target: "MatchingAlgorithm", onDelete: "cascade" },
    { field: "launcherId", target: "User", onDelete: "setNull" },
    { field: "version1Id", target: "SourceVersion", onDelete: "cascade" },
    { field: "version2Id", target: "SourceVersion", onDelete: "cascade" }
  ],
  access: linksAccess
})
/** An AlgorithmRun record. */
export const AlgorithmRun = AlgorithmRunModel.schema
/** An AlgorithmRun record. */
export type AlgorithmRun = typeof AlgorithmRun.Type

/** A 16-bit signed integer (SQL `smallint`). */
const SmallInt = Schema.Int.check(Schema.isBetween({ minimum: -32768, maximum: 32767 }))

/**
 * The Link model declaration: a destination org unit matched with a source org unit. When made by
 * a run, the destination is in the run's destination version and the source in its source version.
 */
export const LinkModel = defineModel({
  name: "Link",
  id: LinkId,
  scope: "account",
  fields: {
    /** The org unit in the destination version. */
    destinationId: Schema.optionalKey(OrgUnitId),
    /** The org unit in the source version. */
    sourceId: Schema.optionalKey(OrgUnitId),
    /** A person confirmed the match. */
    validated: Schema.Boolean,
    /** Who validated it (cleared when the validation is withdrawn). */
    validatorId: Schema.optionalKey(UserId),
    /** When the validation last changed (IASO refreshes it on every save of the link). */
    validationDate: Schema.optionalKey(Instant),
    /** How alike the two units are, 0 to 100 for IASO's algorithms (a `smallint`). */
    similarityScore: Schema.optionalKey(SmallInt),
    /** The run that proposed the link (absent for a hand-made link). */
    algorithmRunId: Schema.optionalKey(AlgorithmRunId)
  },
  indexes: [
    { name: "link_destination", fields: ["destinationId"] },
    { name: "link_source", fields: ["sourceId"] },
    { name: "link_algorithm_run", fields: ["algorithmRunId"] },
    { name: "link_validator", fields: ["validatorId"] }
  ],
  references: [
    { field: "destinationId", target: "OrgUnit", onDelete: "cascade" },
    { field: "sourceId", target: "OrgUnit", onDelete: "cascade" },
    // IASO: CASCADE (deleting the validating user deletes the link)
    { field: "validatorId", target: "User", onDelete: "cascade" },
    { field: "algorithmRunId", target: "AlgorithmRun", onDelete: "cascade" }
  ],
  access: linksAccess,
  rowScope: { kind: "orgUnit", fields: ["sourceId", "destinationId"] }
})
/** A Link record (two matched org units). */
export const Link = LinkModel.schema
/** A Link record (two matched org units). */
export type Link = typeof Link.Type
