/**
 * The `Mappings` service: how a form's answers reach DHIS2. A mapping ties a form, a data source
 * (whose credentials reach the DHIS2 server) and a type (AGGREGATE, EVENT, EVENT_TRACKER, DERIVED);
 * it has one version per form version holding the question mappings as JSON, checked against its
 * type's shape ({@link checkMappingJson}). Creating a version is idempotent per (mapping, form
 * version); question mappings are merged with IASO's rules and messages; a new form version copies
 * the previous version's mappings (`copyMappingVersions`, called by `FormVersions.create`). Every
 * call needs `iaso_mappings`.
 *
 * Differences from IASO, on purpose:
 * - A version is named after its mapping (IASO leaves the name empty, so a second mapping of
 *   another type on the same form version breaks IASO's unique (form version, name) constraint).
 * - Every write is checked against the type's JSON shape as a whole; a `null` question mapping is
 *   refused (IASO stores it).
 * - DERIVED versions start as `{"aggregations": []}` and their aggregations are set through
 *   `updateVersion` (IASO's API has no way to write them).
 * - `eventDateSource` is refused on mappings other than EVENT (IASO stores it, unused).
 * - The copy onto a new form version keeps questions inside repeat groups (IASO's question list
 *   stops at the repeat, so its copy drops the tracker mappings of repeated questions).
 * @module
 */
import { Context, Effect, Layer } from "effect"
import type { EventDateSource, Mapping, MappingType, MappingVersion } from "../forms/mapping.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { lazyService } from "../shared/lazy-module.ts"
import type { DataSourceId, FormId, FormVersionId, MappingId, MappingVersionId } from "../shared/entity-ids.ts"
import type { NotFound, Forbidden, StorageError } from "../shared/errors.ts"
import type { JsonValue } from "../shared/json.ts"
import type { CurrentActor } from "../tenancy/actor.ts"

/** The audit source of mapping writes (IASO's `MAPPING_VERSION_API`). */
export const MAPPING_AUDIT_SOURCE = "MAPPING_VERSION_API"

/** IASO's messages for mapping versions. */
export const MappingMessages = {
  /** A form version or data source that is not the caller account's (or does not exist). */
  missing: "object doesn't exist",
  /** A question mapping to a data element without its uid. */
  noDataElementId: "should have a least an data element id",
  /** A question mapping to a data element without its value type. */
  noValueType: "should have a valueType"
} as const

/** The DHIS2 data set (AGGREGATE) or program (other types) a new version targets. */
export interface Dhis2Target {
  readonly id: string
  readonly name?: string
}

/** A version to create (or find): IASO's POST body. */
export interface MappingVersionCreate {
  readonly formVersionId: FormVersionId
  readonly mappingType: MappingType
  readonly dataSourceId: DataSourceId
  /** Required for AGGREGATE. */
  readonly dataSet?: Dhis2Target
  /** Required for EVENT and EVENT_TRACKER. */
  readonly program?: Dhis2Target
}

/**
 * A change of a version. `questionMappings` is merged per question: a list is stored as is,
 * `{"action": "unmap"}` removes the question, any other object replaces it (a data element needs
 * `id` and `valueType` unless its `type` is `multiple` or `neverMapped`).
 */
export interface MappingVersionPatch {
  readonly questionMappings?: Readonly<Record<string, JsonValue>>
  /** EVENT mappings only. */
  readonly eventDateSource?: EventDateSource
  /** DERIVED mappings only: replaces the aggregations. */
  readonly aggregations?: ReadonlyArray<JsonValue>
  /** EVENT_TRACKER mappings only: the tracked entity type uid. */
  readonly trackedEntityType?: string
  /** EVENT_TRACKER mappings only: the uid of the attribute holding the unique id. */
  readonly trackedEntityIdentifier?: string
}

/** A version with its mapping. */
export interface MappingVersionDetail {
  readonly mapping: Mapping
  readonly version: MappingVersion
}

/** Filters of {@link Mappings | versions}; all given ones apply. */
export interface MappingVersionSearch {
  readonly formId?: FormId
  readonly formVersionId?: FormVersionId
  readonly mappingId?: MappingId
}

type ReadError = NotFound | Forbidden | StorageError

/**
 * The mappings service (see the module documentation for its rules). Provided by `Iaso.layer`; on
 * the Promise facade, `iaso.as(actor).mappings`. Its calls are listed under `Service`.
 */
export class Mappings extends Context.Service<
  Mappings,
  {
    /**
     * The version of the (form, data source, type) mapping for a form version, created with the
     * mapping when missing: `{"question_mappings": {}}` with the data set's or program's id and
     * name (`{"aggregations": []}` for DERIVED). Calling it again gives the same version.
     */
    readonly createVersion: (input: MappingVersionCreate) => Effect.Effect<MappingVersionDetail, ServiceWriteError, CurrentActor>
    /** Merges question mappings and sets the other keys of a version (see {@link MappingVersionPatch}). */
    readonly updateVersion: (id: MappingVersionId, patch: MappingVersionPatch) => Effect.Effect<MappingVersion, ServiceWriteError, CurrentActor>
    /** A version with its mapping. */
    readonly getVersion: (id: MappingVersionId) => Effect.Effect<MappingVersionDetail, ReadError, CurrentActor>
    /** The versions, oldest first, filtered by form, form version or mapping. */
    readonly versions: (search?: MappingVersionSearch) => Effect.Effect<ReadonlyArray<MappingVersion>, ReadError, CurrentActor>
    /** The mappings of a form (every mapping without one), oldest first. */
    readonly mappings: (formId?: FormId) => Effect.Effect<ReadonlyArray<Mapping>, ReadError, CurrentActor>
  }
>()("@iaso/core/Mappings") {
  static readonly layer = Layer.effect(
    Mappings,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Mappings.of(
        lazyService("the DHIS2 mappings", () => import("./mappings-ops.ts").then((ops) => ops.makeMappings(repos)), {
          createVersion: true,
          updateVersion: true,
          getVersion: true,
          versions: true,
          mappings: true
        })
      )
    })
  )
}
