/**
 * The JSON a mapping version holds, one shape per mapping type, as Effect Schemas (IASO's keys,
 * `snake_case`, since DHIS2 tooling and IASO exports read them). Extra keys DHIS2 metadata brings
 * along (`name`, `code`, `domainType`...) are allowed and kept; only what the exporters rely on is
 * required:
 * - AGGREGATE: `data_set_id`, `question_mappings` of data elements (`id`, `valueType`) or
 *   `{"type": "neverMapped"}`, keyed by question or `<question>__<choice>`.
 * - EVENT: `program_id`, the same mappings plus `{"type": "multiple", "values": {<choice>: <DE>}}`,
 *   and an optional `event_date_source`.
 * - EVENT_TRACKER: `program_id`, `tracked_entity_type`, `tracked_entity_identifier`, each question
 *   mapped to a non-empty list of program-stage data elements, tracked-entity attributes or repeat
 *   groups (`{"type": "repeat", ...}`), or never mapped.
 * - DERIVED: `aggregations` (`id`, `name`, `questionName`, `aggregationType` sum/avg/count,
 *   optional `where` and `defaultValue`).
 * @module
 */
import { Result, Schema } from "effect"
import { EventDateSource, type MappingType, QUESTION_MAPPING_MULTIPLE, QUESTION_MAPPING_NEVER_MAPPED } from "../forms/mapping.ts"
import type { JsonObject } from "../shared/json.ts"

/** A DHIS2 data element (or tracked-entity attribute) a question maps to: its uid and value type, other keys kept. */
export const DataElementMapping = Schema.Struct({
  id: Schema.String,
  valueType: Schema.String,
  categoryOptionCombo: Schema.optionalKey(Schema.String),
  attributeOptionCombo: Schema.optionalKey(Schema.String),
  optionSet: Schema.optionalKey(
    Schema.Struct({
      options: Schema.Array(
        Schema.Struct({
          code: Schema.optionalKey(Schema.String),
          name: Schema.optionalKey(Schema.String),
          id: Schema.optionalKey(Schema.String),
          odk: Schema.optionalKey(Schema.String)
        })
      )
    })
  )
})
export type DataElementMapping = typeof DataElementMapping.Type

/** A question deliberately left unmapped. */
export const NeverMapped = Schema.Struct({ type: Schema.Literal(QUESTION_MAPPING_NEVER_MAPPED) })
export type NeverMapped = typeof NeverMapped.Type

/** Each choice of a multiple-choice question mapped to its own data element (EVENT mappings). */
export const MultipleMapping = Schema.Struct({
  type: Schema.Literal(QUESTION_MAPPING_MULTIPLE),
  values: Schema.Record(Schema.String, DataElementMapping)
})
export type MultipleMapping = typeof MultipleMapping.Type

/** An item of an EVENT_TRACKER question's list: a program-stage data element. */
export const TrackerDataElement = Schema.Struct({
  programStage: Schema.optionalKey(Schema.String),
  dataElement: DataElementMapping,
  parent: Schema.optionalKey(Schema.String)
})
/** An item of an EVENT_TRACKER question's list: a tracked-entity attribute. */
export const TrackerAttribute = Schema.Struct({
  trackedEntityAttribute: DataElementMapping,
  parent: Schema.optionalKey(Schema.String)
})
/** An item of an EVENT_TRACKER question's list: a repeat group exported as related tracked entities. */
export const TrackerRepeat = Schema.Struct({
  type: Schema.Literal("repeat"),
  program_id: Schema.String,
  tracked_entity_type: Schema.String,
  tracked_entity_identifier: Schema.String,
  relationship_type: Schema.optionalKey(Schema.String)
})
/** One item of an EVENT_TRACKER question's list. */
export const TrackerItem = Schema.Union([TrackerDataElement, TrackerAttribute, TrackerRepeat])
export type TrackerItem = typeof TrackerItem.Type

/** A question's mapping in an AGGREGATE version. */
export const AggregateQuestionMapping = Schema.Union([NeverMapped, DataElementMapping])
/** A question's mapping in an EVENT version. */
export const EventQuestionMapping = Schema.Union([NeverMapped, MultipleMapping, DataElementMapping])
/** A question's mapping in an EVENT_TRACKER version. */
export const TrackerQuestionMapping = Schema.Union([NeverMapped, Schema.NonEmptyArray(TrackerItem)])

/** The JSON of an AGGREGATE version (a DHIS2 data set). */
export const AggregateMappingJson = Schema.Struct({
  data_set_id: Schema.String,
  data_set_name: Schema.optionalKey(Schema.String),
  question_mappings: Schema.Record(Schema.String, AggregateQuestionMapping)
})
export type AggregateMappingJson = typeof AggregateMappingJson.Type

/** The JSON of an EVENT version (a single-event DHIS2 program). */
export const EventMappingJson = Schema.Struct({
  program_id: Schema.String,
  program_name: Schema.optionalKey(Schema.String),
  question_mappings: Schema.Record(Schema.String, EventQuestionMapping),
  event_date_source: Schema.optionalKey(EventDateSource)
})
export type EventMappingJson = typeof EventMappingJson.Type

/**
 * The JSON of an EVENT_TRACKER version (a tracker program). The tracked-entity keys are optional
 * while the version is being written (IASO creates it with the program only); the exporter needs them.
 */
export const EventTrackerMappingJson = Schema.Struct({
  program_id: Schema.String,
  program_name: Schema.optionalKey(Schema.String),
  tracked_entity_type: Schema.optionalKey(Schema.String),
  tracked_entity_identifier: Schema.optionalKey(Schema.String),
  question_mappings: Schema.Record(Schema.String, TrackerQuestionMapping)
})
export type EventTrackerMappingJson = typeof EventTrackerMappingJson.Type

/** The aggregation functions of a DERIVED mapping. */
export const AggregationType = Schema.Literals(["sum", "avg", "count"])
export type AggregationType = typeof AggregationType.Type

/** A condition on a submission's answer: `questionName operator value` (operators: see `computeDerivedValues`). */
export const WhereClause = Schema.Struct({
  questionName: Schema.String,
  operator: Schema.Literals(["eq", "ne", "gt", "gte", "lt", "lte", "in", "exists"]),
  value: Schema.optionalKey(Schema.Unknown)
})
export type WhereClause = typeof WhereClause.Type

/** One derived value: the id is a question of the derived form, computed over another form's submissions. */
export const Aggregation = Schema.Struct({
  id: Schema.String,
  name: Schema.optionalKey(Schema.String),
  questionName: Schema.String,
  aggregationType: AggregationType,
  where: Schema.optionalKey(Schema.Array(WhereClause)),
  defaultValue: Schema.optionalKey(Schema.Number)
})
export type Aggregation = typeof Aggregation.Type

/** The JSON of a DERIVED version. */
export const DerivedMappingJson = Schema.Struct({
  aggregations: Schema.Array(Aggregation)
})
export type DerivedMappingJson = typeof DerivedMappingJson.Type

const SHAPES = {
  AGGREGATE: AggregateMappingJson,
  EVENT: EventMappingJson,
  EVENT_TRACKER: EventTrackerMappingJson,
  DERIVED: DerivedMappingJson
} as const

/**
 * Checks a version's JSON against its mapping type's shape: the JSON itself (with every extra key)
 * when it fits, else the Schema error naming the offending path.
 */
export const checkMappingJson = (mappingType: MappingType, json: JsonObject): Result.Result<JsonObject, Schema.SchemaError> => {
  const decoded = Schema.decodeUnknownResult(SHAPES[mappingType] as Schema.Codec<unknown>)(json)
  return Result.isFailure(decoded) ? Result.fail(decoded.failure) : Result.succeed(json)
}
