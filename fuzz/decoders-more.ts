/**
 * The decoders of outside input added after the first six (see `decoders.ts`): the mobile bulk
 * upload (a zip), IASO's bulk user CSV, a workflow import, JSONLogic rules, DHIS2 mapping JSON,
 * storage logs, and the sync messages a server receives and a device receives. Each runs through
 * the SDK's public API on the memory store, as a server (or a device) would call it; seeds are
 * IASO's files where they exist, else built here.
 * @module
 */
import {
  Actor,
  answerSync,
  CurrentActor,
  BulkUserCreation,
  type EntityTypeId,
  type OrgUnitId,
  OrgUnits,
  type OrgUnitTypeId,
  OrgUnitTypes,
  EntityTypes,
  Forms,
  FormVersions,
  httpSyncTransport,
  Instances,
  type MappingType,
  Mappings,
  PERMISSIONS,
  Storages,
  SyncClient,
  type SyncRoute,
  Users,
  Workflows
} from "@iaso/core"
import { evaluateJsonLogic } from "@iaso/core/json-logic"
import { Effect, Result } from "effect"
import { strFromU8, strToU8, zipSync } from "fflate"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import type { Decoder, FuzzInput, makeApp, Need, Outcome, World } from "./decoders.ts"
import { bytesOfJson, filesUnder, guarded } from "./decoders.ts"
import { byteMutators, type ByteMutator, type Json, mutateJson, mutateWith, type Rand, xmlMutators } from "./mutate.ts"

type App = ReturnType<typeof makeApp>

/** A stored zip of `files` (fast to make: the archive is what matters). */
const zip = (files: Record<string, Uint8Array>): Uint8Array => zipSync(files, { level: 0 })

/** The files under `dir` by their path relative to it. */
const folderFiles = (dir: string): Record<string, Uint8Array> => {
  const out: Record<string, Uint8Array> = {}
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name)
      if (statSync(path).isDirectory()) walk(path)
      else out[relative(dir, path)] = new Uint8Array(readFileSync(path))
    }
  }
  walk(dir)
  return out
}

/** A JSON mutation of a zip's JSON member (when it parses), rezipped. */
const jsonMember =
  (members: ReadonlyArray<string>) =>
  (files: Record<string, Uint8Array>, rand: Rand): { readonly how: string; readonly files: Record<string, Uint8Array> } => {
    const present = members.filter((name) => files[name] !== undefined)
    const name = present.length === 0 ? "instances.json" : rand.pick(present)
    let value: Json = []
    try {
      value = JSON.parse(strFromU8(files[name] ?? new Uint8Array())) as Json
    } catch {
      // an absent member: mutate an empty list
    }
    const mutated = mutateJson(value, rand)
    let text = "null"
    try {
      text = JSON.stringify(mutated.value) ?? "null"
    } catch {
      // too deep to write: the member is cut
    }
    return { how: `${mutated.how} in ${name}`, files: { ...files, [name]: strToU8(text) } }
  }

/** Mutations of a mobile bulk upload's zip. */
const bulkUploadMutators = (): ReadonlyArray<readonly [string, (files: Record<string, Uint8Array>, rand: Rand) => { how: string; bytes: Uint8Array }]> => {
  const json = jsonMember(["instances.json", "storageLogs.json", "orgUnits.json"])
  return [
    ["bytes", (files, rand) => mutateWith(byteMutators, zip(files), rand)],
    [
      "json",
      (files, rand) => {
        const out = json(files, rand)
        return { how: out.how, bytes: zip(out.files) }
      }
    ],
    [
      "xml",
      (files, rand) => {
        const names = Object.keys(files).filter((name) => name.endsWith(".xml"))
        if (names.length === 0) return { how: "xml (none)", bytes: zip(files) }
        const name = rand.pick(names)
        const out = mutateWith(xmlMutators, files[name] ?? new Uint8Array(), rand)
        return { how: `${out.how} in ${name}`, bytes: zip({ ...files, [name]: out.bytes }) }
      }
    ],
    [
      "zip bomb",
      (files, rand) => {
        const name = rand.pick(["instances.json", "storageLogs.json", ...Object.keys(files)])
        // 40 MiB of spaces (beyond the limit of one entry) compress to about 160 kB.
        return { how: `zip bomb in ${name}`, bytes: zipSync({ ...files, [name]: new Uint8Array(40 * 2 ** 20).fill(0x20) }, { level: 1 }) }
      }
    ],
    [
      "many entries",
      (files, rand) => {
        const out = { ...files }
        const count = rand.pick([2_000, 10_001])
        const folder =
          Object.keys(files)
            .find((name) => name.includes("/"))
            ?.split("/")[0] ?? "x"
        for (let i = 0; i < count; i++) out[`${folder}/e${i}.jpg`] = Uint8Array.of(i & 0xff)
        return { how: `${count} more entries`, bytes: zip(out) }
      }
    ],
    [
      "odd paths",
      (files, rand) => {
        const path = rand.pick(["../evil.xml", "/abs/x.xml", "a\\b.xml", "C:/x.xml", "a//b.xml", "./instances.json", `${"a/".repeat(2_000)}x.xml`])
        return { how: `entry ${path.slice(0, 40)}`, bytes: zip({ ...files, [path]: strToU8("<x/>") }) }
      }
    ]
  ]
}

/** Text mutations of a CSV file, besides the byte mutators. */
const csvMutators: ReadonlyArray<ByteMutator> = [
  ...byteMutators,
  ...(
    [
      ["another delimiter", (text, rand) => text.replaceAll(",", rand.pick([";", "|", "\t", ",,", '","']))],
      ["unbalanced quote", (text, rand) => insertAt(text, rand, '"')],
      ["quoted newlines", (text, rand) => insertAt(text, rand, '"a\nb\r\nc""d"')],
      ["huge field", (text, rand) => insertAt(text, rand, "x".repeat(rand.pick([100_000, 2_000_000])))],
      [
        "many rows",
        (text, rand) => {
          const lines = text.split(/\r?\n/)
          const row = lines[1 + rand.int(Math.max(1, lines.length - 1))] ?? "a,b"
          return [text, ...new Array<string>(rand.pick([1_000, 20_000])).fill(row)].join("\n")
        }
      ],
      ["many unique rows", (text) => [text, ...Array.from({ length: 2_000 }, (_, i) => `u${i},,,,,,,,,,,,,,,`)].join("\n")],
      ["many columns", (text) => text.replace(/\r?\n/, `${",c".repeat(50_000)}\n`)],
      ["NUL", (text, rand) => insertAt(text, rand, "\u0000")],
      ["BOM", (text, rand) => rand.pick(["\ufeff", "\ufeff\ufeff", "\ufffe"]) + text],
      ["CR only", (text) => text.replaceAll(/\r?\n/g, "\r")],
      ["empty", () => ""],
      ["header only", (text) => text.split(/\r?\n/)[0] ?? ""],
      ["lone surrogates", (text, rand) => insertAt(text, rand, "\ud800x\udfff")]
    ] as ReadonlyArray<readonly [string, (text: string, rand: Rand) => string]>
  ).map(([name, f]): ByteMutator => [name, (bytes, rand) => strToU8(f(strFromU8(bytes), rand))]),
  ["UTF-16 BOM", (bytes) => new Uint8Array([0xff, 0xfe, ...Array.from(bytes).flatMap((b) => [b, 0])])]
]

/** `value` with the strings equal to a key of `names` replaced by its value. */
const fill = (value: Json, names: Readonly<Record<string, string>>): Json => {
  const walk = (item: Json, depth: number): Json => {
    if (typeof item === "string") return names[item] ?? item
    if (item === null || typeof item !== "object" || depth > 50) return item
    if (Array.isArray(item)) return item.map((x) => walk(x as Json, depth + 1))
    const out: Record<string, Json> = {}
    for (const [key, x] of Object.entries(item))
      Object.defineProperty(out, key, { value: walk(x as Json, depth + 1), enumerable: true, configurable: true, writable: true })
    return out
  }
  return walk(value, 0)
}

function insertAt(text: string, rand: Rand, piece: string): string {
  const at = rand.int(text.length + 1)
  return text.slice(0, at) + piece + text.slice(at)
}

/** The camel-case input of `Storages.importLogs` from an element of IASO's `storageLogs.json`. */
const storageLogInput = (log: { readonly [key: string]: Json }): Json => ({
  id: log["id"] ?? null,
  storageId: log["storage_id"] ?? null,
  storageType: log["storage_type"] ?? null,
  operationType: log["operation_type"] ?? null,
  instances: log["instances"] ?? [],
  orgUnitId: null,
  // The seed's entity is not in the fuzz account: left out, so that a seed is a value.
  entityUuid: null,
  performedAt: log["performed_at"] ?? null
})

/** JSONLogic seeds: a rule and the data it runs on. */
const jsonLogicSeeds: ReadonlyArray<Json> = [
  { rule: { "==": [{ var: "age" }, 3] }, data: { age: 3 } },
  { rule: { and: [{ ">": [{ var: "a" }, 1] }, { in: [{ var: "b" }, ["x", "y"]] }, { "!": { var: "c" } }] }, data: { a: 2, b: "x", c: false } },
  { rule: { if: [{ "<": [{ var: "n" }, 0] }, "neg", { "<=": [0, { var: "n" }, 10] }, "small", "big"] }, data: { n: 5 } },
  { rule: { map: [{ var: "xs" }, { "*": [{ var: "" }, 2] }] }, data: { xs: [1, 2, 3] } },
  { rule: { reduce: [{ var: "xs" }, { "+": [{ var: "current" }, { var: "accumulator" }] }, 0] }, data: { xs: [1, 2, 3] } },
  { rule: { some: [{ var: "xs" }, { ">=": [{ var: "" }, 2] }] }, data: { xs: [1, 2] } },
  { rule: { cat: ["a", { substr: [{ var: "s" }, 1, 2] }, { var: "__proto__" }] }, data: { s: "hello" } },
  { rule: { merge: [{ var: "xs" }, [1], { missing: ["a", "b"] }, { missing_some: [1, ["a", "b"]] }] }, data: { xs: [1], a: 1 } },
  { rule: { ">": [{ var: "current_time" }, "2024-01-01"] }, data: {} }
]

/** JSONLogic-specific mutations: deep rules, huge arrays, prototype paths. */
const jsonLogicMutators: ReadonlyArray<readonly [string, (seed: { readonly rule: Json; readonly data: Json }, rand: Rand) => { rule: Json; data: Json }]> = [
  ["json", (seed, rand) => mutateJson(seed as Json, rand).value as never],
  [
    "deep rule",
    (seed, rand) => {
      let rule: Json = seed.rule
      const op = rand.pick(["!", "and", "if", "+", "map"])
      for (let i = rand.pick([1_000, 10_000, 100_000]); i > 0; i--) rule = op === "map" ? { map: [[1], rule] } : { [op]: [rule] }
      return { rule, data: seed.data }
    }
  ],
  [
    "huge array",
    (_seed, rand) => {
      const big = Array.from({ length: rand.pick([100_000, 1_000_000]) }, (_, i) => i)
      const op = rand.pick(["in", "map", "reduce", "all", "merge", "cat", "max", "+"])
      const rule: Json =
        op === "in"
          ? { in: [5, { var: "xs" }] }
          : op === "map"
            ? { map: [{ var: "xs" }, { map: [{ var: "xs" }, 1] }] }
            : op === "reduce"
              ? { reduce: [{ var: "xs" }, { merge: [{ var: "accumulator" }, { var: "current" }] }, []] }
              : op === "all"
                ? { all: [{ var: "xs" }, { some: [{ var: "xs" }, false] }] }
                : { [op]: { var: "xs" } }
      return { rule, data: { xs: big } }
    }
  ],
  ["huge literal", (seed, rand) => ({ rule: { "+": Array.from({ length: rand.pick([20_000, 200_000]) }, () => 1) }, data: seed.data })],
  [
    "prototype path",
    (seed, rand) => {
      const path = rand.pick(["__proto__", "constructor", "constructor.prototype", "__proto__.polluted", "toString", "xs.length", "a.b.c.d"])
      return { rule: { or: [{ var: path }, { missing: [path] }, { "==": [{ var: [path, "d"] }, 1] }] }, data: seed.data }
    }
  ],
  [
    "string blowup",
    (_seed, rand) => ({
      rule: { reduce: [{ var: "xs" }, { cat: [{ var: "accumulator" }, { var: "accumulator" }, "x"] }, "x"] },
      data: { xs: new Array(rand.pick([40, 60])).fill(0) }
    })
  ]
]

/** The decoders of the inputs added since the first six. */
export const moreDecoders = async (app: App, fixtures: string): Promise<ReadonlyArray<Decoder>> => {
  const iaso = join(fixtures, "iaso")
  const iasoFixtures = join(iaso, "iaso", "tests", "fixtures")
  const shown = (path: string) => path.slice(fixtures.length + 1)

  // --- bulk upload ---
  const bulkRoot = join(iasoFixtures, "mobile_bulk_uploads")
  const bulkSeeds = existsSync(bulkRoot)
    ? readdirSync(bulkRoot)
        .filter((name) => statSync(join(bulkRoot, name)).isDirectory())
        .sort()
        .map((name) => ({ path: join(bulkRoot, name), files: folderFiles(join(bulkRoot, name)) }))
    : []
  const bulkMutators = bulkUploadMutators()

  // --- bulk users ---
  const csvSeeds = filesUnder(join(iasoFixtures, "bulk_create_users"), ".csv").map((path) => ({ path, bytes: new Uint8Array(readFileSync(path)) }))

  // --- storage logs ---
  const logsPath = join(bulkRoot, "storage_logs", "storageLogs.json")
  const logSeeds: ReadonlyArray<Json> = existsSync(logsPath)
    ? [(JSON.parse(readFileSync(logsPath, "utf8")) as ReadonlyArray<{ readonly [key: string]: Json }>).map(storageLogInput)]
    : []

  // --- mapping ---
  const mappingSeeds = filesUnder(join(iaso, "testdata"), ".json")
    .filter((path) => /mapping/.test(path))
    .map((path) => ({ path, json: JSON.parse(readFileSync(path, "utf8")) as { readonly [key: string]: Json } }))
  const typeOfMapping = (json: { readonly [key: string]: Json }): MappingType =>
    json["aggregations"] !== undefined
      ? "DERIVED"
      : json["data_set_id"] !== undefined
        ? "AGGREGATE"
        : json["tracked_entity_type"] !== undefined
          ? "EVENT_TRACKER"
          : "EVENT"
  const formXlsx = join(iaso, "testdata", "seed-data-command-form.xlsx")

  // --- records the decoders need once per app ---
  const forWorkflow: Need<{ readonly typeName: string }> = {
    key: "workflow",
    make: (world) =>
      Effect.gen(function* () {
        const typeName = "Fuzz type"
        yield* Effect.flatMap(Effect.service(EntityTypes), (types) => types.create({ name: typeName, referenceFormId: world.formId, isActive: true }))
        // A follow-up form besides the reference form (a change's form must differ from it).
        yield* Effect.flatMap(Effect.service(Forms), (forms) => forms.create({ name: "Follow-up", projectIds: [world.projectId] }))
        return { typeName }
      })
  }
  const forMappings: Need<Readonly<Record<MappingType, string>>> = {
    key: "mappings",
    make: (world) =>
      Effect.gen(function* () {
        const version = yield* Effect.flatMap(Effect.service(FormVersions), (v) =>
          v.create({ formId: world.formId, xlsForm: { bytes: new Uint8Array(readFileSync(formXlsx)), fileName: "form.xlsx" } })
        )
        const mappings = yield* Effect.service(Mappings)
        const out: Record<string, string> = {}
        for (const mappingType of ["AGGREGATE", "EVENT", "EVENT_TRACKER", "DERIVED"] as const) {
          const made = yield* mappings.createVersion({
            formVersionId: version.id,
            mappingType,
            dataSourceId: world.dataSourceId,
            dataSet: { id: "eZDhcZi6FLP" },
            program: { id: "prog1" }
          })
          out[mappingType] = made.version.id
        }
        return out as Record<MappingType, string>
      })
  }

  // --- a user (logs, uploads and sync name who did them) ---
  const makeUser = (world: World, username: string) =>
    Effect.map(
      Effect.flatMap(Effect.service(Users), (users) => users.create({ username, password: "fuzz-password-1" })),
      (made) => Actor.user({ accountId: world.actor.accountId, userId: made.user.id, permissions: PERMISSIONS })
    )
  const forUser: Need<Actor> = { key: "user", make: (world) => makeUser(world, "fuzzer") }
  const forBulk: Need<{ readonly actor: Actor; readonly entityTypeId: EntityTypeId; readonly orgUnitId: OrgUnitId; readonly orgUnitTypeId: OrgUnitTypeId }> = {
    key: "bulk",
    make: (world) =>
      Effect.gen(function* () {
        const actor = yield* makeUser(world, "uploader")
        const type = yield* Effect.flatMap(Effect.service(EntityTypes), (types) =>
          types.create({ name: "Bulk type", referenceFormId: world.formId, isActive: true })
        )
        // IASO's org unit "1" and "4" and type "5" of the seeds, in the default version.
        const unitType = yield* Effect.flatMap(Effect.service(OrgUnitTypes), (types) =>
          types.create({ name: "Bulk unit type", projectIds: [world.projectId] } as never)
        )
        const unit = yield* Effect.flatMap(Effect.service(OrgUnits), (units) =>
          units.create({ name: "Bulk root", versionId: world.versionId, orgUnitTypeId: unitType.id } as never)
        )
        return { actor, entityTypeId: type.id, orgUnitId: unit.id, orgUnitTypeId: unitType.id }
      })
  }

  // --- sync ---
  const forSync: Need<{ readonly actor: Actor; readonly page: Json; readonly reconcile: Json }> = {
    key: "sync",
    make: (world) =>
      Effect.gen(function* () {
        const actor = yield* makeUser(world, "syncer")
        const pulled = yield* answerSync("pull", { limit: 50 }).pipe(Effect.provideService(CurrentActor, actor))
        const page = pulled.body as { readonly changes?: ReadonlyArray<{ readonly model?: string; readonly id?: string }> }
        const model = page.changes?.[0]?.model ?? "OrgUnit"
        const reconcile = { model, remove: [page.changes?.[0]?.id ?? "x"], put: (page.changes ?? []).slice(0, 3) }
        return { actor, page: pulled.body as Json, reconcile: reconcile as unknown as Json }
      })
  }
  const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`
  const serverSeeds = (world: { readonly formId: string; readonly projectId: string }): ReadonlyArray<readonly [SyncRoute, Json]> => [
    ["pull", {}],
    ["pull", { cursor: "", limit: 10 }],
    ["pull", { cursor: "0", limit: 1000, projectId: world.projectId }],
    ["reconcile", { model: "OrgUnit", held: [{ id: uuid(1), version: 1 }] }],
    ["reconcile", { model: "Form", projectId: world.projectId, held: [] }],
    [
      "push",
      {
        entries: [
          {
            id: uuid(2),
            kind: "submission",
            submission: {
              formId: world.formId,
              xml: `<data id="x"><meta><instanceID>uuid:${uuid(3)}</instanceID></meta><q>1</q></data>`,
              attachments: [{ name: "a.jpg", mediaType: "image/jpeg", bytes: "AAEC" }],
              uuid: uuid(3),
              createdAt: 1_700_000_000_000,
              location: { latitude: 1, longitude: 2 }
            }
          },
          {
            id: uuid(4),
            kind: "storageLogs",
            logs: [{ id: uuid(5), storageId: "BGJG", storageType: "NFC", operationType: "RESET", instances: [], performedAt: 1_700_000_000_000 }]
          },
          { id: uuid(6), kind: "positions", positions: [] }
        ]
      }
    ]
  ]

  const jsonInput = (how: string, value: unknown, run: () => Promise<Outcome>): FuzzInput => ({ how, bytes: bytesOfJson(value), run })

  const decoders: Array<Decoder> = []
  if (bulkSeeds.length > 0)
    decoders.push({
      name: "bulk-upload",
      input: (rand) => {
        const seed = rand.pick(bulkSeeds)
        const [name, mutate] = rand.pick(bulkMutators)
        const { how, bytes } = mutate(seed.files, rand)
        return {
          how: `${name}: ${how} of ${shown(seed.path)}`,
          bytes,
          run: () =>
            app.run(
              (world, made) =>
                Effect.flatMap(Effect.service(Instances), (instances) =>
                  instances.importMobileBulkUpload(bytes, {
                    projectId: world.projectId,
                    foreignIds: {
                      forms: { "1": world.formId, "2": world.formId },
                      entityTypes: { "1": made.entityTypeId },
                      orgUnits: { "1": made.orgUnitId, "4": made.orgUnitId },
                      orgUnitTypes: { "5": made.orgUnitTypeId }
                    }
                  })
                ).pipe(Effect.provideService(CurrentActor, made.actor)),
              forBulk
            )
        }
      }
    })
  if (csvSeeds.length > 0)
    decoders.push({
      name: "bulk-users",
      input: (rand) => {
        const seed = rand.pick(csvSeeds)
        const { how, bytes } = mutateWith(csvMutators, seed.bytes, rand)
        return {
          how: `${how} of ${shown(seed.path)}`,
          bytes,
          run: () => app.run(() => Effect.flatMap(Effect.service(BulkUserCreation), (bulk) => bulk.createFromCsv(bytes, { fileName: "fuzz.csv" })))
        }
      }
    })
  decoders.push({
    name: "workflow-import",
    input: (rand) => {
      const seed: Json = {
        uuid: uuid(10),
        entityType: "Fuzz type",
        versions: [
          {
            uuid: uuid(11),
            name: "v1",
            status: rand.pick(["DRAFT", "PUBLISHED", "UNPUBLISHED"]),
            autoFirstStep: false,
            // The reference form has no version (no questions): conditions without variables.
            followUps: [
              { order: 1, condition: rand.pick<Json>([true, { "==": [1, 1] }, { and: [{ "<": [1, 2, 3] }, { in: ["a", ["a", "b"]] }] }]), forms: ["Fuzzed"] }
            ],
            changes: [{ form: "Follow-up", mapping: {} }]
          }
        ]
      }
      const { how, value } = mutateJson(seed, rand)
      return jsonInput(how, value, () => app.run(() => Effect.flatMap(Effect.service(Workflows), (workflows) => workflows.importWorkflow(value)), forWorkflow))
    }
  })
  decoders.push({
    name: "jsonlogic",
    input: (rand) => {
      const seed = rand.pick(jsonLogicSeeds) as { readonly rule: Json; readonly data: Json }
      const [name, mutate] = rand.pick(jsonLogicMutators)
      const { rule, data } = mutate(seed, rand) ?? { rule: null, data: null }
      return jsonInput(name, { rule, data }, () =>
        guarded(() => {
          const result = evaluateJsonLogic(rule, data)
          if (({} as { polluted?: unknown }).polluted !== undefined) return { kind: "defect", message: "Object.prototype was polluted" }
          return Result.isFailure(result) ? { kind: "typed", tag: result.failure._tag } : { kind: "value" }
        })
      )
    }
  })
  if (mappingSeeds.length > 0)
    decoders.push({
      name: "mapping",
      input: (rand) => {
        const seed = rand.pick(mappingSeeds)
        const mappingType = typeOfMapping(seed.json)
        const { how, value } = mutateJson(seed.json, rand)
        const json = (value ?? {}) as { readonly [key: string]: Json }
        const patch = {
          ...(json["question_mappings"] === undefined ? {} : { questionMappings: json["question_mappings"] }),
          ...(json["aggregations"] === undefined ? {} : { aggregations: json["aggregations"] }),
          ...(json["tracked_entity_type"] === undefined ? {} : { trackedEntityType: json["tracked_entity_type"] }),
          ...(json["tracked_entity_identifier"] === undefined ? {} : { trackedEntityIdentifier: json["tracked_entity_identifier"] })
        }
        return jsonInput(`${how} of ${shown(seed.path)}`, value, () =>
          app.run(
            (_world, ids) => Effect.flatMap(Effect.service(Mappings), (mappings) => mappings.updateVersion(ids[mappingType] as never, patch as never)),
            forMappings
          )
        )
      }
    })
  if (logSeeds.length > 0)
    decoders.push({
      name: "storage-logs",
      input: (rand) => {
        const { how, value } = mutateJson(rand.pick(logSeeds), rand)
        return jsonInput(how, value, () =>
          app.run(
            (_world, actor) =>
              Effect.flatMap(Effect.service(Storages), (storages) => storages.importLogs(value as never)).pipe(Effect.provideService(CurrentActor, actor)),
            forUser
          )
        )
      }
    })
  decoders.push({
    name: "sync",
    input: (rand) => {
      const side = rand.pick(["server", "server", "device"] as const)
      if (side === "server") {
        // The seeds name the world's records: made with placeholders, filled at run time.
        const [route, seed] = rand.pick(serverSeeds({ formId: "FORM", projectId: "PROJECT" }))
        const { how, value } = mutateJson(seed, rand)
        return jsonInput(`${route}: ${how}`, value, () =>
          app.run((world, seeds) => {
            const filled = fill(value, { FORM: world.formId, PROJECT: world.projectId })
            // A refusal is an answer with its status and `{ _tag, message }`: counted by its tag (a StorageError, 503, is a defect).
            return Effect.flatMap(answerSync(route, filled), (answer) => (answer.status === 200 ? Effect.succeed(answer) : Effect.fail(answer.body))).pipe(
              Effect.provideService(CurrentActor, seeds.actor)
            )
          }, forSync)
        )
      }
      const which = rand.pick(["page", "reconcile"] as const)
      // The page is mutated once the app's seed page exists; `rand` goes on deterministically.
      const input: { how: string; bytes: Uint8Array; run: () => Promise<Outcome> } = {
        how: `device ${which}`,
        bytes: new Uint8Array(),
        run: () =>
          app.run((_world, seeds) => {
            const { how, value } = mutateJson(which === "page" ? seeds.page : seeds.reconcile, rand)
            input.how = `device ${which}: ${how}`
            input.bytes = bytesOfJson(value)
            const final = { changes: [], cursor: "end", hasMore: false }
            let pulls = 0
            const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
              const route = String(url).split("/").pop()
              const body = JSON.parse(String(init?.body ?? "{}")) as { readonly model?: string }
              pulls += 1
              const answer =
                route === "pull"
                  ? which === "page" && pulls === 1
                    ? value
                    : final
                  : which === "reconcile"
                    ? value
                    : { model: body.model, remove: [], put: [] }
              return new Response(JSON.stringify(answer) ?? "null", { status: 200 })
            }
            const transport = httpSyncTransport({ baseUrl: "http://fuzz", fetch: fetch as typeof globalThis.fetch })
            return Effect.flatMap(Effect.service(SyncClient), (client) => client.pull(transport, { retries: 1 } as never)).pipe(
              Effect.provideService(CurrentActor, seeds.actor)
            )
          }, forSync)
      }
      return input
    }
  })
  return decoders
}
