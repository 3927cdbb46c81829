// @ts-check
/**
 * A TypeDoc plugin for the IASO SDK's API site (loaded by typedoc.json).
 *
 * - A class built on one of Effect's class factories (`Context.Service`, `Schema.TaggedErrorClass`,
 *   `Schema.Class`) inherits dozens of Effect's own members (`of`, `context`, `use`, `make`,
 *   `pipe`...). They are Effect's API, documented by Effect, and would repeat the service's shape
 *   on every page many times over, so members inherited from a declaration outside this repository
 *   are dropped; a service keeps its static `Service`, the shape that lists its verbs, and its
 *   hierarchy (that same shape again, written out in full) is left out.
 * - A link record's two ids come from a mapped type in `defineLink`, which has no declaration a
 *   comment could sit on: they are described here.
 */
import { Comment, Converter, ReflectionKind } from "typedoc"

/** Whether a reflection is declared only outside this repository's sources (node_modules). */
const declaredOutside = (reflection) =>
  reflection.sources !== undefined &&
  reflection.sources.length > 0 &&
  reflection.sources.every((source) => source.fullFileName.includes("/node_modules/"))

/** @param {import("typedoc").Application} app */
export const load = (app) => {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project
    for (const owner of project.getReflectionsByKind(ReflectionKind.Class)) {
      if (!("children" in owner) || owner.children === undefined) continue
      for (const member of [...owner.children]) {
        if (member.inheritedFrom === undefined || !declaredOutside(member)) continue
        if (member.name === "Service" && member.flags.isStatic) {
          owner.extendedTypes = undefined
          continue
        }
        project.removeReflection(member)
      }
    }
    for (const property of project.getReflectionsByKind(ReflectionKind.Property)) {
      if (property.hasComment() || (property.sources?.length ?? 0) > 0 || !property.name.endsWith("Id")) continue
      property.comment = new Comment([{ kind: "text", text: "The id of one end of the link record." }])
    }
  })
}
