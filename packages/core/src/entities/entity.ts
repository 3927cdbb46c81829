/**
 * Entity types and entities: an entity is a tracked person or thing (a beneficiary, say) whose
 * core attributes are not columns but the answers of one submission (its `attributes` instance)
 * of the entity type's reference form; later visits are further submissions pointing at it.
 * An entity type lists which reference-form questions listings, detail views and duplicate
 * searches show or compare.
 * @module
 */
import { Schema } from "effect"
import { EntityDuplicateId, EntityId, EntityTypeId, FormId, InstanceId } from "../shared/entity-ids.ts"
import { Uuid } from "../shared/ids.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, TextMax } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

/**
 * A list of reference-form question names (IASO: an array of at most 100 `varchar(255)`, compared
 * case-insensitively by IASO's collation).
 */
export const QuestionNameList = Schema.Array(TextMax(255)).check(Schema.isMaxLength(100))
export type QuestionNameList = typeof QuestionNameList.Type

/** The EntityType model declaration. */
export const EntityTypeModel = defineModel({
  name: "EntityType",
  id: EntityTypeId,
  scope: "account",
  fields: {
    /** Display name, unique in the account (e.g. "Child under 5"). */
    name: NonBlankTextMax(255),
    /** Stable identifier for exports, never changed once set (the name may change). */
    code: Schema.optionalKey(TextMax(255)),
    /** The form whose submission holds an entity's attributes. */
    referenceFormId: Schema.optionalKey(FormId),
    /** Stored for IASO compatibility; no rule reads it. */
    isActive: Schema.Boolean,
    /** Reference-form questions shown in entity listings. */
    fieldsListView: Schema.optionalKey(QuestionNameList),
    /** Reference-form questions shown on an entity's detail page. */
    fieldsDetailInfoView: Schema.optionalKey(QuestionNameList),
    /** Reference-form questions compared when searching duplicate entities. */
    fieldsDuplicateSearch: Schema.optionalKey(QuestionNameList),
    /** Mobile: refuse to add an entity when a duplicate is found. */
    preventAddIfDuplicateFound: Schema.Boolean
  },
  indexes: [
    { name: "entity_type_name_unique", fields: ["accountId", "name"], unique: true },
    { name: "entity_type_reference_form", fields: ["referenceFormId"] }
  ],
  references: [{ field: "referenceFormId", target: "Form", onDelete: "restrict" }],
  access: { read: [], write: ["iaso_entity_type_write"] },
  managedBy: "EntityTypes"
})
/** An entity type record. */
export const EntityType = EntityTypeModel.schema
export type EntityType = typeof EntityType.Type

/** The Entity model declaration. */
export const EntityModel = defineModel({
  name: "Entity",
  id: EntityId,
  scope: "account",
  fields: {
    /** Unused by IASO (listings show the attributes' `name` answer); may be blank. */
    name: TextMax(255),
    /** The identity the mobile app knows the entity by; unique in the account (IASO: not unique). */
    uuid: Uuid,
    entityTypeId: EntityTypeId,
    /** The reference-form submission holding the entity's attributes; backs at most one entity. */
    attributesId: Schema.optionalKey(InstanceId),
    /** When deduplication merged this entity into another: the surviving entity. */
    mergedToId: Schema.optionalKey(EntityId),
    /** Soft delete. */
    deletedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    // Unique among live entities: deleted duplicates (IASO's deduplication leaves them) may share a uuid.
    { name: "entity_uuid_live_unique", fields: ["accountId", "uuid"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] },
    { name: "entity_attributes_unique", fields: ["accountId", "attributesId"], unique: true },
    { name: "entity_entity_type", fields: ["entityTypeId"] },
    { name: "entity_merged_to", fields: ["mergedToId"] }
  ],
  references: [
    { field: "entityTypeId", target: "EntityType", onDelete: "restrict" },
    { field: "attributesId", target: "Instance", onDelete: "restrict" },
    { field: "mergedToId", target: "Entity", onDelete: "restrict" }
  ],
  access: { read: ["iaso_entities"], write: ["iaso_entities"] },
  // IASO: a restricted user sees the entities having a live submission under its org units.
  rowScope: { kind: "referencedBy", target: "Instance", field: "entityId", live: { field: "deleted", value: false } },
  managedBy: "Entities"
})
/** An entity record. */
export const Entity = EntityModel.schema
export type Entity = typeof Entity.Type

/** Review states of a candidate duplicate pair: found, confirmed by a merge, or dismissed. */
export const ENTITY_DUPLICATE_STATUSES = ["PENDING", "VALIDATED", "IGNORED"] as const
/** A duplicate pair's review state. */
export const EntityDuplicateStatus = Schema.Literals(ENTITY_DUPLICATE_STATUSES)
export type EntityDuplicateStatus = typeof EntityDuplicateStatus.Type

/**
 * The EntityDuplicate model declaration (not in IASO's core, whose deduplication lives in a
 * plug-in): two live entities of one type whose attributes look alike on the type's
 * duplicate-search questions, kept for review. The pair is ordered (`entity1Id` < `entity2Id`),
 * so a pair is stored once.
 */
export const EntityDuplicateModel = defineModel({
  name: "EntityDuplicate",
  id: EntityDuplicateId,
  scope: "account",
  fields: {
    entityTypeId: EntityTypeId,
    /** The first entity of the pair (the smaller id). */
    entity1Id: EntityId,
    /** The second entity of the pair (the larger id). */
    entity2Id: EntityId,
    /** How alike the compared answers are, in percent (mean Jaro-Winkler similarity of the folded answers). */
    similarity: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
    status: EntityDuplicateStatus,
    /** The duplicate-search questions compared. */
    fields: QuestionNameList
  },
  indexes: [
    { name: "entity_duplicate_pair_unique", fields: ["accountId", "entity1Id", "entity2Id"], unique: true },
    { name: "entity_duplicate_type_status", fields: ["entityTypeId", "status"] },
    { name: "entity_duplicate_entity2", fields: ["entity2Id"] }
  ],
  references: [
    { field: "entityTypeId", target: "EntityType", onDelete: "cascade" },
    { field: "entity1Id", target: "Entity", onDelete: "cascade" },
    { field: "entity2Id", target: "Entity", onDelete: "cascade" }
  ],
  access: { read: ["iaso_entities"], write: ["iaso_entities"] },
  rowScope: { kind: "parent", field: "entity1Id", target: "Entity" },
  managedBy: "Entities"
})
/** A candidate duplicate pair. */
export const EntityDuplicate = EntityDuplicateModel.schema
export type EntityDuplicate = typeof EntityDuplicate.Type
