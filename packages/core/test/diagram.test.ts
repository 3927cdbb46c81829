import * as core from "@iaso/core"
import { ALL_MODELS, type AnyModel } from "@iaso/core"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { readShared, sharedAvailable, skipMessage } from "./shared-files.ts"

const DIAGRAM = "reference/er-diagram.md"
const available = sharedAvailable(DIAGRAM)

interface Block {
  readonly entity: string
  readonly attributes: ReadonlyArray<{ readonly type: string; readonly name: string }>
}

/** The entity blocks of the mermaid ER diagram: `Name{` then `Type attr` lines then `}`. */
const parseDiagram = (text: string): ReadonlyArray<Block> => {
  const blocks: Array<Block> = []
  let current: { entity: string; attributes: Array<{ type: string; name: string }> } | undefined
  for (const line of text.split("\n").map((l) => l.trim())) {
    const open = /^([A-Za-z][A-Za-z0-9]*)\{$/.exec(line)
    if (open !== null) {
      current = { entity: open[1] ?? "", attributes: [] }
      continue
    }
    if (line === "}" && current !== undefined) {
      blocks.push(current)
      current = undefined
      continue
    }
    const attribute = /^([A-Za-z]+)\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(line)
    if (current !== undefined && attribute !== null) current.attributes.push({ type: attribute[1] ?? "", name: attribute[2] ?? "" })
  }
  return blocks
}

interface Row {
  readonly entity: string
  readonly attribute: string
  readonly here: string
}

/** The ER table of packages/core/README.md: `| entity | diagram attribute | here |` rows. */
const parseTable = (): ReadonlyArray<Row> => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8")
  const section = readme.slice(readme.indexOf("## The ER table"))
  const rows: Array<Row> = []
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim())
    if (cells.length < 5 || cells[1] === "entity" || /^-+$/.test(cells[1] ?? "")) continue
    rows.push({ entity: cells[1] ?? "", attribute: cells[2] ?? "", here: cells[3] ?? "" })
  }
  return rows
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
const RELATION_TYPES = new Set(["ForeignKey", "OneToOneField"])
const fieldName = (attribute: { readonly type: string; readonly name: string }): string =>
  RELATION_TYPES.has(attribute.type) ? `${camel(attribute.name)}Id` : camel(attribute.name)

describe.skipIf(!available)(`the ER diagram ${available ? "" : skipMessage(DIAGRAM)}`, () => {
  const blocks = available ? parseDiagram(readShared(DIAGRAM)) : []
  const rows = parseTable()
  const exported = core as unknown as Record<string, unknown>
  const modelOf = (exportName: string): AnyModel | undefined => ALL_MODELS.find((model) => model.schema === exported[exportName])
  const alias = (entity: string): string => {
    const row = rows.find((r) => r.entity === entity && r.attribute === "(entity name)")
    return row === undefined ? entity : (/`([A-Za-z]+)`/.exec(row.here)?.[1] ?? entity)
  }

  it("has the 46 entities the SDK implements", () => {
    expect(blocks.length).toBe(46)
  })

  it("every entity is exported under its name (or the table's alias) as the schema of a declared model", () => {
    const missing = blocks.filter((block) => modelOf(alias(block.entity)) === undefined).map((block) => block.entity)
    expect(missing).toEqual([])
  })

  it("User, UserRole and AuditEntry, which the diagram omits, are declared too", () => {
    for (const name of ["User", "UserRole", "AuditEntry"]) expect(modelOf(name), name).toBeDefined()
  })

  it("OrgUnitChangeRequest and OrgUnitReferenceInstance, which the diagram omits, are declared (the latter is the through table of its OrgUnit-Instance reference_instance relation)", () => {
    expect(blocks.some((block) => block.entity === "OrgUnitChangeRequest" || block.entity === "OrgUnitReferenceInstance")).toBe(false)
    expect(modelOf("OrgUnitChangeRequest")?.managedBy).toBe("OrgUnitChangeRequests")
    expect(modelOf("OrgUnitReferenceInstance")?.managedBy).toBe("OrgUnitChangeRequests")
  })

  it("every attribute of every entity block is a field or exactly one row of the table, never both", () => {
    const problems: Array<string> = []
    for (const block of blocks) {
      const model = modelOf(alias(block.entity))
      if (model === undefined) continue
      const fields = new Set(Object.keys(model.schema.fields as object))
      for (const attribute of block.attributes) {
        const isField = fields.has(fieldName(attribute))
        const tableRows = rows.filter((row) => row.entity === block.entity && row.attribute === attribute.name)
        if (tableRows.length > 1) problems.push(`${block.entity}.${attribute.name}: ${tableRows.length} table rows`)
        if (isField && tableRows.length > 0) problems.push(`${block.entity}.${attribute.name}: both a field (${fieldName(attribute)}) and a table row`)
        if (!isField && tableRows.length === 0) problems.push(`${block.entity}.${attribute.name}: neither a field (${fieldName(attribute)}) nor a table row`)
      }
    }
    expect(problems).toEqual([])
  })

  it("every row of the table names an entity and attribute of the diagram (no stale rows)", () => {
    const stale = rows.filter((row) => {
      const block = blocks.find((b) => b.entity === row.entity)
      return block === undefined || (row.attribute !== "(entity name)" && !block.attributes.some((a) => a.name === row.attribute))
    })
    expect(stale).toEqual([])
  })
})
