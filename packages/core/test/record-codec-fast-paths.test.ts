import { Arbitrary, Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { AuditEntryModel } from "../src/audit/audit-entry.ts"
import { publicEncoding } from "../src/kernel/audit.ts"
import { ALL_MODELS } from "../src/models.ts"
import { sha256Hex } from "../src/shared/blob.ts"
import { ValidationError } from "../src/shared/errors.ts"
import { codecOf, encodedRowOf } from "../src/shared/record-codec.ts"
import { OrgUnitModel } from "../src/registry/org-unit.ts"
import { InstanceModel } from "../src/submissions/instance-model.ts"

const ACCOUNT = "0190a000-0000-7000-8000-000000000001"
const FORM = "0190a000-0000-7000-8000-000000000002"

/** A valid submission record, as ingestion makes one. */
const instanceRecord = (json: Record<string, unknown>) => ({
  id: "0190a000-0000-7000-8000-000000000003",
  accountId: ACCOUNT,
  version: 1,
  createdAt: new Date(1_717_000_000_000),
  updatedAt: new Date(1_717_000_000_000),
  uuid: "5b0d3c1e-2f4a-4b6c-8d9e-0a1b2c3d4e5f",
  currentUuid: "5b0d3c1e-2f4a-4b6c-8d9e-0a1b2c3d4e5f",
  exportId: "aB3dE5fG7hJ",
  correlationId: "10105",
  name: "Household visit",
  file: { key: `sha256/${"a".repeat(64)}`, size: 10, sha256: "a".repeat(64), mediaType: "application/xml" },
  json,
  formId: FORM,
  sourceCreatedAt: new Date(1_716_000_000_000),
  deleted: false,
  toExport: false,
  generalValidationStatus: ""
})

describe("hashing", () => {
  it("sha256Hex gives the lower-case hex SHA-256 of the bytes", async () => {
    expect(await Effect.runPromise(sha256Hex(new TextEncoder().encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    expect(await Effect.runPromise(sha256Hex(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  })
})

describe("the record codec's fast paths", () => {
  it("stores a JSON field's __proto__ key as data, as Schema's encoding does", () => {
    const json = JSON.parse('{"a":"1","__proto__":{"b":"2"},"list":[{"__proto__":"x"}]}') as Record<string, unknown>
    const encoded = codecOf(InstanceModel).toRowAndValue(instanceRecord(json))
    if (encoded instanceof ValidationError) throw new Error(encoded.message)
    const stored = encoded.row["json"] as Record<string, unknown>
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype)
    expect(Object.keys(stored)).toEqual(["a", "__proto__", "list"])
    expect(JSON.stringify(stored)).toBe('{"a":"1","__proto__":{"b":"2"},"list":[{"__proto__":"x"}]}')
    // The stored row shares no object with the record given.
    expect(stored).not.toBe(json)
    expect(stored["list"]).not.toBe(json["list"])
    expect(encoded.row["createdAt"]).toBe(1_717_000_000_000)
    expect(encoded.row["sourceCreatedAt"]).toBe(1_716_000_000_000)
  })

  it("answers the row a record just encoded was stored as, for that record of that model only", () => {
    const record = instanceRecord({ q1: "yes", members: [{ name: "Awa" }] })
    const encoded = codecOf(InstanceModel).toRowAndValue(record)
    if (encoded instanceof ValidationError) throw new Error(encoded.message)
    expect(encodedRowOf(InstanceModel, encoded.value)).toBe(encoded.row)
    expect(encodedRowOf(AuditEntryModel, encoded.value)).toBeUndefined()
    expect(encodedRowOf(InstanceModel, { ...encoded.value })).toBeUndefined()
    // The audit encoding read from the stored row is the one encoding the record again gives.
    expect(publicEncoding(InstanceModel, encoded.value)).toEqual(publicEncoding(InstanceModel, { ...encoded.value }))
    expect(publicEncoding(InstanceModel, encoded.value)["json"]).toEqual({ q1: "yes", members: [{ name: "Awa" }] })
  })

  it("decodes stored rows of every model as Schema does, key order included", async () => {
    let compared = 0
    for (const model of ALL_MODELS) {
      const codec = codecOf(model)
      const decode = Schema.decodeUnknownSync(model.schema as unknown as Schema.Codec<unknown, unknown>)
      const encode = Schema.encodeUnknownSync(model.schema as unknown as Schema.Codec<unknown, unknown>)
      const samples = await Effect.runPromise(Arbitrary.sampleEffect(Arbitrary.schema(Schema.toType(model.schema)), { count: 8, seed: 20261207 }))
      for (const sample of samples) {
        const encoded = codec.toRowAndValue(sample)
        if (encoded instanceof ValidationError) continue
        // The stored fields are what Schema's encoding gives.
        const fields = Object.fromEntries(Object.entries(encoded.row).filter(([key]) => key in (model.schema.fields as object)))
        expect(JSON.stringify(fields)).toBe(JSON.stringify(encode(encoded.value)))
        const fast = Effect.runSync(codec.decodeRow(encoded.row))
        const reference = decode(encoded.row, { disableChecks: true })
        expect(fast).toStrictEqual(reference)
        expect(Object.keys(fast as object)).toEqual(Object.keys(reference as object))
        compared += 1
      }
    }
    expect(compared).toBe(ALL_MODELS.length * 8)
  })

  it("reports a damaged stored row with Schema's message", () => {
    const exit = Effect.runSyncExit(codecOf(InstanceModel).decodeRow({ id: "0190a000-0000-7000-8000-000000000003", accountId: ACCOUNT, version: 1 }))
    expect(exit._tag).toBe("Failure")
    const message = exit._tag === "Failure" ? String(exit.cause) : ""
    expect(message).toContain("a stored Instance does not decode: Missing key")
    expect(message).toContain('at ["createdAt"]')
  })
})

describe("decoding selected fields (decodePartial)", () => {
  const UNIT = "0190a000-0000-7000-8000-000000000010"
  const OTHER = "0190a000-0000-7000-8000-000000000011"
  const decode = (select: ReadonlyArray<string>, dropped: ReadonlyArray<string>, rows: ReadonlyArray<Record<string, unknown>>) =>
    Effect.runSyncExit(codecOf(OrgUnitModel).decodePartial(select, dropped)(rows))

  it("answers a result of plain fields itself, its rows as the items, when no row holds a dropped column", () => {
    const rows = [
      { id: UNIT, name: "Bo" },
      { id: OTHER, name: "Kenema", uuid: "device-1" }
    ]
    const exit = decode(["id", "name", "uuid"], ["path"], rows)
    expect(exit._tag === "Success" && exit.value).toBe(rows)
    expect(exit._tag === "Success" && exit.value[1]).toBe(rows[1])
  })

  it("takes rows whose keys come in another order, or without an optional field, as they are", () => {
    const rows = [
      { name: "Bo", id: UNIT, uuid: "device-1" },
      { id: OTHER, name: "Kenema" }
    ]
    const exit = decode(["id", "name", "uuid"], ["path"], rows)
    expect(exit._tag === "Success" && exit.value).toBe(rows)
    expect(rows).toStrictEqual([
      { name: "Bo", id: UNIT, uuid: "device-1" },
      { id: OTHER, name: "Kenema" }
    ])
  })

  it("leaves dropped columns out of the rows holding them, and keeps the rows before and after as they are", () => {
    const rows = [
      { id: UNIT, name: "Bo" },
      { id: OTHER, name: "Kenema", path: `/${UNIT}/${OTHER}/` },
      { id: UNIT, name: "Bombali" }
    ]
    const exit = decode(["id", "name"], ["path"], rows)
    expect(exit._tag === "Success" && exit.value).toStrictEqual([
      { id: UNIT, name: "Bo" },
      { id: OTHER, name: "Kenema" },
      { id: UNIT, name: "Bombali" }
    ])
    expect(exit._tag === "Success" && exit.value[0]).toBe(rows[0])
    expect(exit._tag === "Success" && exit.value[2]).toBe(rows[2])
    expect(rows[1]).toStrictEqual({ id: OTHER, name: "Kenema", path: `/${UNIT}/${OTHER}/` })
  })

  it("decodes fields that are not plain through their schema, in new rows", () => {
    const rows = [{ id: UNIT, name: "Bo", sourceCreatedAt: 1_716_000_000_000 }]
    const exit = decode(["id", "name", "sourceCreatedAt"], [], rows)
    expect(exit._tag === "Success" && exit.value).toStrictEqual([{ id: UNIT, name: "Bo", sourceCreatedAt: new Date(1_716_000_000_000) }])
  })

  it("reports a row missing a required field or holding a value of another type as corrupt", () => {
    for (const [rows, detail] of [
      [[{ id: UNIT, name: "Bo" }, { id: OTHER }], "name is missing"],
      [[{ id: UNIT, name: 7 }], "expected a string, got number"],
      [[{ id: UNIT, name: "Bo", uuid: 3 }], "expected a string, got number"],
      [
        [
          { id: UNIT, name: "Bo", path: "/x/" },
          { id: OTHER, name: null }
        ],
        "expected a string, got object"
      ]
    ] as const) {
      const exit = decode(["id", "name", "uuid"], ["path"], rows)
      expect(exit._tag).toBe("Failure")
      expect(exit._tag === "Failure" ? String(exit.cause) : "").toContain(`a stored OrgUnit does not decode: Error: ${detail}`)
    }
  })
})
