/**
 * Mapping versions follow a form to its new versions: when a form version is created, every
 * mapping version of the previous (latest) version is copied onto it, in the same unit of work,
 * keeping only what still applies to the new questions:
 * - a `question_mappings` entry whose key is a question of the new version (at any depth, inside
 *   groups and repeats alike), or a `<question>__<choice>` key whose select question still offers
 *   that choice (a question name may itself contain `__`: the key is tried whole first, then at
 *   every `__`);
 * - an `aggregations` entry (DERIVED) whose `id` is still a question of the new version (the
 *   derived form's questions are the values it receives).
 * Every other key of the JSON (data set, program, event date source...) is copied as is.
 * @module
 */
import { Effect } from "effect"
import type { DescriptorNode, FormDescriptor } from "../forms/descriptor.ts"
import type { FormVersion } from "../forms/form-version.ts"
import { type MappingVersion, MappingVersionModel } from "../forms/mapping.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import { uuidv7 } from "../shared/ids.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import type { Actor } from "../tenancy/actor.ts"

/** What a descriptor offers to mappings: its question names, and the choices of its select questions. */
export interface MappableQuestions {
  /** Every question name at any depth (groups and repeats included). */
  readonly names: ReadonlySet<string>
  /** The choice names of each select question, by question name. */
  readonly choices: ReadonlyMap<string, ReadonlySet<string>>
}

/** The question names and select choices of a form descriptor. */
export const mappableQuestions = (descriptor: DescriptorNode): MappableQuestions => {
  const names = new Set<string>()
  const choices = new Map<string, Set<string>>()
  const lists = (descriptor as Partial<FormDescriptor>).choices ?? {}
  const walk = (node: DescriptorNode): void => {
    for (const child of node.children ?? []) {
      names.add(child.name)
      const type = child.type ?? ""
      if (type.startsWith("select")) {
        const own = child.children ?? (child.list_name === undefined ? [] : (lists[child.list_name] ?? []))
        choices.set(child.name, new Set(own.map((choice) => choice.name)))
      } else if (type === "group" || type === "repeat") walk(child)
    }
  }
  walk(descriptor)
  return { names, choices }
}

/** Whether a `question_mappings` key still applies: a question, or `<select question>__<offered choice>`. */
export const keepsQuestionKey = (questions: MappableQuestions, key: string): boolean => {
  if (questions.names.has(key)) return true
  for (let at = key.indexOf("__"); at > 0; at = key.indexOf("__", at + 1)) {
    if (questions.choices.get(key.slice(0, at))?.has(key.slice(at + 2)) === true) return true
  }
  return false
}

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)

/** A mapping version's JSON trimmed to a new version's questions (see the module documentation). */
export const copyMappingJson = (json: JsonObject, questions: MappableQuestions): JsonObject => {
  const out: Record<string, JsonValue> = { ...json }
  const mappings = json["question_mappings"]
  if (isObject(mappings)) {
    out["question_mappings"] = Object.fromEntries(Object.entries(mappings).filter(([key]) => keepsQuestionKey(questions, key)))
  }
  const aggregations = json["aggregations"]
  if (Array.isArray(aggregations)) {
    out["aggregations"] = aggregations.filter((item) => isObject(item) && typeof item["id"] === "string" && questions.names.has(item["id"]))
  }
  return out
}

/**
 * Copies the mapping versions of `previous` onto `created` (a new version of the same form), in
 * the caller's unit of work; gives the inserted versions. A copy is named after its mapping (one
 * version per mapping and form version), or a fresh id when it has none.
 */
export const copyMappingVersions = (
  repos: Repositories,
  actor: Actor,
  previous: FormVersion,
  created: FormVersion
): Effect.Effect<ReadonlyArray<MappingVersion>, ServiceWriteError> =>
  Effect.gen(function* () {
    const sources = yield* listAll((page) => repos.list(MappingVersionModel, actor.accountId, page), {
      where: [{ field: "formVersionId", op: "eq", value: previous.id }],
      orderBy: [{ field: "createdAt" }]
    }).pipe(orDieOnInvalidListing(MappingVersionModel))
    if (sources.length === 0) return []
    const questions = mappableQuestions((created.formDescriptor ?? { name: "data" }) as unknown as DescriptorNode)
    return yield* Effect.forEach(sources, (source) =>
      repos.insert(MappingVersionModel, actor.accountId, {
        name: source.mappingId ?? uuidv7(),
        json: copyMappingJson(source.json, questions),
        formVersionId: created.id,
        ...(source.mappingId === undefined ? {} : { mappingId: source.mappingId })
      })
    )
  })
