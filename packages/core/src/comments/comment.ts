/**
 * CommentIaso: a remark a user leaves about a record (IASO only allows org units), possibly in
 * reply to another comment. IASO keeps threads one level deep and requires a reply to be about the
 * same record as the comment it answers; these are rules of the writing service, not of the schema.
 *
 * IASO builds comments on Django's generic comment framework (a content type, a site and a generic
 * foreign key). Here the commented record is named explicitly: its model's name in `objectModel`
 * and its id in `objectPk`.
 * @module
 */
import { Schema } from "effect"
import { CommentId, UserId } from "../shared/entity-ids.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, TextMax } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)"
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`
const H = "[0-9a-fA-F]{1,4}"
const IPV6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
  `::(?:[fF]{4}(?::0{1,4})?:)?${IPV4}`,
  `(?:${H}:){1,4}:${IPV4}`
].join("|")

/** An IPv4 address (dotted quad) or an IPv6 address (any valid textual form, without a zone). */
export const IpAddress = Schema.String.check(Schema.isPattern(new RegExp(`^(?:${IPV4}|${IPV6})$`), { message: "Expected an IPv4 or IPv6 address" }))

/** The CommentIaso model declaration. */
export const CommentIasoModel = defineModel({
  name: "CommentIaso",
  id: CommentId,
  scope: "account",
  fields: {
    /** The model of the commented record, e.g. `OrgUnit` (replaces IASO's content type). */
    objectModel: NonBlankTextMax(100),
    /** The commented record's id. */
    objectPk: NonBlankTextMax(64),
    /** The author (absent once the user is deleted). */
    userId: Schema.optionalKey(UserId),
    /** Name the author gave, "" when none. */
    userName: TextMax(50),
    /** E-mail address the author gave, "" when none. */
    userEmail: TextMax(254),
    /** URL the author gave, "" when none. */
    userUrl: TextMax(200),
    /** The remark itself. */
    comment: NonBlankTextMax(3000),
    /** When the comment was posted (comments are listed in this order). */
    submitDate: Instant,
    /** Address the comment was posted from. */
    ipAddress: Schema.optionalKey(IpAddress),
    /** Hidden from listings when false. */
    isPublic: Schema.Boolean,
    /** Withdrawn by a moderator (shown as removed). */
    isRemoved: Schema.Boolean,
    /** The comment this one answers. */
    parentId: Schema.optionalKey(CommentId)
  },
  indexes: [
    { name: "comment_iaso_object", fields: ["objectModel", "objectPk", "submitDate"] },
    { name: "comment_iaso_parent", fields: ["parentId"] },
    { name: "comment_iaso_submit_date", fields: ["accountId", "submitDate"] },
    { name: "comment_iaso_user", fields: ["userId"] }
  ],
  references: [
    { field: "userId", target: "User", onDelete: "setNull" },
    { field: "parentId", target: "CommentIaso", onDelete: "cascade" }
  ],
  // IASO: any authenticated user who can see the commented org unit (the service comments org
  // units only, so `objectPk` is an org unit's id: reads keep to the actor's roots on every path)
  rowScope: { kind: "orgUnit", fields: ["objectPk"] },
  access: { read: [], write: [] },
  managedBy: "Comments"
})
/** A CommentIaso record. */
export const CommentIaso = CommentIasoModel.schema
/** A CommentIaso record. */
export type CommentIaso = typeof CommentIaso.Type
