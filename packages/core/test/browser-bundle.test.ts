/**
 * The browser-safety guard: each browser entry point is bundled for the browser with esbuild, with
 * nothing external (effect is bundled too), and the build must succeed without reaching a Node
 * builtin (`node:*`, `fs`, `path`, `crypto`...), neither in the metafile nor in the output text.
 *
 * To guard another entry point (the IndexedDB adapter...), add a row to `entryPoints`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build, type BuildFailure, type Message, type Metafile } from "esbuild"
import { describe, expect, it } from "vitest"

/** The repository root (esbuild's working directory: metafile paths are relative to it). */
const root = fileURLToPath(new URL("../../../", import.meta.url))

/** The entry points that must bundle for the browser. One row per entry. */
const entryPoints: ReadonlyArray<{ readonly name: string; readonly entry: string }> = [
  { name: "@iaso/core", entry: "packages/core/src/index.ts" },
  { name: "@iaso/adapter-indexeddb", entry: "packages/adapter-indexeddb/src/index.ts" },
  { name: "@iaso/geopackage/sqljs", entry: "packages/geopackage/src/sqljs.ts" }
]

const builtins = new Set(builtinModules.filter((name) => !name.startsWith("_")))

/** Whether an import specifier names a Node builtin (`node:fs`, `fs`, `fs/promises`, `path`...). */
const isNodeBuiltin = (specifier: string): boolean => specifier.startsWith("node:") || builtins.has(specifier) || builtins.has(specifier.split("/")[0] ?? "")

const formatMessages = (messages: ReadonlyArray<Message>): string =>
  messages.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text)).join("\n")

/** Bundles `entry` for the browser; never throws: a failed build comes back as its errors. */
const bundle = async (entry: string) => {
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      platform: "browser",
      bundle: true,
      write: false,
      format: "esm",
      target: "es2022",
      external: [],
      metafile: true,
      logLevel: "silent"
    })
    return { errors: result.errors, metafile: result.metafile, text: result.outputFiles.map((f) => f.text).join("\n") }
  } catch (error) {
    const failure = error as Partial<BuildFailure>
    if (Array.isArray(failure.errors)) return { errors: failure.errors, metafile: undefined, text: "" }
    throw error
  }
}

/** Every import (in any input file) that names a Node builtin, as "importer -> specifier". */
const nodeImports = (metafile: Metafile): Array<string> => {
  const found: Array<string> = []
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (isNodeBuiltin(file)) found.push(`input ${file}`)
    for (const imp of input.imports) {
      const specifier = imp.original ?? imp.path
      if (imp.path.startsWith("node:") || isNodeBuiltin(specifier) || (imp.external === true && isNodeBuiltin(imp.path))) {
        found.push(`${file} -> ${specifier}${imp.external === true ? " (external)" : ""}`)
      }
    }
  }
  return found
}

describe("browser bundle", () => {
  it.each(entryPoints)("$name ($entry) bundles for the browser without Node builtins", async ({ entry }) => {
    const { errors, metafile, text } = await bundle(entry)
    expect(errors, `esbuild errors:\n${formatMessages(errors)}`).toEqual([])
    expect(metafile).toBeDefined()
    if (metafile === undefined) return

    // effect is bundled, not left external
    expect(Object.keys(metafile.inputs).some((file) => file.includes("node_modules/effect/"))).toBe(true)
    expect(nodeImports(metafile)).toEqual([])

    const nodeStrings = text.match(/(?:require\(|from |import\()\s*["']node:[^"']*["']/g) ?? []
    expect(nodeStrings).toEqual([])
    expect(text).not.toContain('require("node:')
    expect(text).not.toContain('from "node:')
  })

  it("a module importing a Node builtin fails the guard", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iaso-bundle-guard-"))
    try {
      for (const specifier of ["node:fs", "crypto"]) {
        const entry = join(dir, `uses-${specifier.replace(":", "-")}.ts`)
        writeFileSync(entry, `import * as m from "${specifier}"\nexport const x = m\n`)
        const { errors } = await bundle(entry)
        expect(formatMessages(errors), specifier).toContain(`Could not resolve "${specifier}"`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("the guard itself flags Node builtins", () => {
    for (const specifier of ["node:fs", "fs", "fs/promises", "path", "crypto", "os", "url", "module", "child_process", "worker_threads"]) {
      expect(isNodeBuiltin(specifier), specifier).toBe(true)
    }
    for (const specifier of ["effect", "effect/Schema", "./fs.ts", "packages/core/src/index.ts", "node_modules/effect/dist/index.js"]) {
      expect(isNodeBuiltin(specifier), specifier).toBe(false)
    }
  })
})
