/**
 * What npm packs is what a user gets: packs every package of the workspace (after `npm run
 * build`), checks what each tarball holds, installs the tarballs into a fresh app in a temporary
 * folder (no workspace, no ../shared, the drivers and effect from the registry), then runs a
 * program written from the README on memory and on a SQLite file, typechecks it with `tsc
 * --noEmit` under `strict`, and runs the packed `iaso` binary.
 *
 *   npm run build && node scripts/pack-install.ts [--keep]
 *
 * Exits non-zero, naming what failed, when any check fails.
 */
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../", import.meta.url))
const keep = process.argv.includes("--keep")
const work = mkdtempSync(join(tmpdir(), "iaso-pack-"))
const tarballs = join(work, "tarballs")
const app = join(work, "app")
mkdirSync(tarballs)
mkdirSync(app)

/** Runs a command, printing it; its output goes to ours. */
const run = (command: string, args: ReadonlyArray<string>, cwd: string): void => {
  console.log(`$ ${command} ${args.join(" ")}   (in ${cwd})`)
  execFileSync(command, args, { cwd, stdio: "inherit", env: { ...process.env, NODE_OPTIONS: "" } })
}

/** Runs a command and returns its standard output. */
const output = (command: string, args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } })

/** What the fresh app's program (scripts/fresh-app/main.ts) prints on a first run. */
const EXPECTED = [
  "memory: created",
  "  Bo",
  "    Bo Government Hospital",
  "missing unit: NotFound",
  "sqlite: created",
  "  Bo",
  "    Bo Government Hospital",
  "missing unit: NotFound",
  "gpkg: 1007 units imported (read, validate, write)",
  ""
].join("\n")

const failures: Array<string> = []
const check = (ok: boolean, what: string): void => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`)
  if (!ok) failures.push(what)
}

try {
  // 1. Pack every workspace package.
  run("npm", ["pack", "--workspaces", "--pack-destination", tarballs, "--silent"], root)
  const packed = readdirSync(tarballs).filter((name) => name.endsWith(".tgz"))
  const workspaces = readdirSync(join(root, "packages"))
  check(packed.length === workspaces.length, `one tarball per package (${packed.length} for ${workspaces.length} packages)`)

  // 2. What each tarball holds: dist, README, LICENSE, package.json; no sources, no tests.
  for (const tarball of packed) {
    const files = output("tar", ["tzf", join(tarballs, tarball)], work)
      .trim()
      .split("\n")
    const stray = files.filter((file) => !/^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file) || /\.test\./.test(file))
    check(
      stray.length === 0,
      `${tarball} holds only dist, README.md, LICENSE and package.json${stray.length === 0 ? "" : `: also ${stray.slice(0, 5).join(", ")}`}`
    )
    const manifest = JSON.parse(output("tar", ["xzOf", join(tarballs, tarball), "package/package.json"], work)) as {
      readonly exports?: Record<string, Record<string, string>>
      readonly dependencies?: Record<string, string>
      readonly license?: string
      readonly repository?: unknown
      readonly keywords?: ReadonlyArray<string>
    }
    for (const [entry, conditions] of Object.entries(manifest.exports ?? {})) {
      const types = conditions["types"] ?? ""
      const main = conditions["default"] ?? ""
      check(types.startsWith("./dist/") && types.endsWith(".d.ts") && files.includes(`package/${types.slice(2)}`), `${tarball} ${entry}: types at ${types}`)
      check(main.startsWith("./dist/") && main.endsWith(".js") && files.includes(`package/${main.slice(2)}`), `${tarball} ${entry}: code at ${main}`)
    }
    const internal = Object.entries(manifest.dependencies ?? {}).filter(([name, range]) => name.startsWith("@iaso/") && !/^\^?\d+\.\d+\.\d+$/.test(range))
    check(internal.length === 0, `${tarball} names real versions of its @iaso dependencies`)
    check(
      manifest.license === "MIT" && manifest.repository !== undefined && (manifest.keywords?.length ?? 0) > 0,
      `${tarball} has license, repository and keywords`
    )
  }

  // 3. A fresh app: the tarballs, effect, the SQLite driver, TypeScript and Node's types.
  const typescript = (JSON.parse(readFileSync(join(root, "node_modules/typescript/package.json"), "utf8")) as { version: string }).version
  const effect = (JSON.parse(readFileSync(join(root, "node_modules/effect/package.json"), "utf8")) as { version: string }).version
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "fresh-app", private: true, type: "module" }, null, 2)}\n`)
  run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      ...packed.map((name) => join(tarballs, name)),
      `effect@${effect}`,
      "better-sqlite3@^13.2.0",
      `typescript@${typescript}`,
      "@types/node@^24"
    ],
    app
  )

  // 4. A program written from the README: the Promise facade on memory and on a SQLite file.
  copyFileSync(join(root, "scripts/fresh-app/main.ts"), join(app, "main.ts"))
  writeFileSync(
    join(app, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          erasableSyntaxOnly: true,
          types: ["node"],
          skipLibCheck: false
        },
        include: ["main.ts"]
      },
      null,
      2
    )}\n`
  )
  let typechecked = true
  try {
    run(join(app, "node_modules/.bin/tsc"), ["--noEmit", "-p", "."], app)
  } catch {
    typechecked = false
  }
  check(typechecked, "the program typechecks under strict against the packed declarations")
  const printed = output(process.execPath, ["main.ts", join(app, "app.sqlite"), join(app, "sample.gpkg")], app)
  process.stdout.write(printed)
  check(printed === EXPECTED, "the program prints the pyramid on memory and on a SQLite file")
  const again = output(process.execPath, ["main.ts", join(app, "app.sqlite"), join(app, "sample.gpkg")], app)
  check(again === EXPECTED.replace("sqlite: created", "sqlite: reopened"), "a second run reopens the SQLite file")

  // 5. The packed CLI runs.
  const help = output(process.execPath, [join(app, "node_modules/.bin/iaso"), "--help"], app)
  check(/import/.test(help) && /export/.test(help), "the packed iaso binary prints its help")
  const cli = JSON.parse(
    output(process.execPath, [join(app, "node_modules/.bin/iaso"), "import", "gpkg", "sample.gpkg", "--db", "cli.sqlite", "--json"], app)
  ) as Record<string, unknown>
  check(cli["created"] === 1007 && cli["typesCreated"] === 5, `the packed iaso binary imports the sample GeoPackage (${JSON.stringify(cli)})`)
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error))
} finally {
  if (keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}

if (failures.length > 0) {
  console.error(`\npack-install: ${failures.length} check(s) failed:\n- ${failures.join("\n- ")}`)
  process.exit(1)
}
console.log("\npack-install: the packed packages install and run outside the workspace")
