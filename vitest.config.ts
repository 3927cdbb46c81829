import { readFileSync } from "node:fs"
import { playwright } from "@vitest/browser-playwright"
import { defaultClientConditions, defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

/**
 * Inside the workspace the packages resolve to their TypeScript sources through the `@iaso/source`
 * export condition (a published package resolves to its built `dist`). Child processes the tests
 * start (forked writers, the examples) inherit it through NODE_OPTIONS.
 */
const SOURCE_CONDITION = "@iaso/source"
if (!(process.env["NODE_OPTIONS"] ?? "").includes(`--conditions=${SOURCE_CONDITION}`)) {
  process.env["NODE_OPTIONS"] = `${process.env["NODE_OPTIONS"] ?? ""} --conditions=${SOURCE_CONDITION}`.trim()
}

/** Chromium's flags, shared by every browser run (scripts/chromium-args.json). */
const chromiumArgs: Array<string> = (JSON.parse(readFileSync(new URL("./scripts/chromium-args.json", import.meta.url), "utf8")) as { args: Array<string> }).args

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    // Two test files at a time on CI's two cores: the real-PostgreSQL and PGlite files mostly wait
    // on the database, so another file's JavaScript runs meanwhile (npm test 247 s -> 185 s).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "node",
          include: ["packages/*/test/**/*.test.ts", "examples/server/**/*.test.ts", "examples/app-tests/**/*.test.ts"],
          exclude: ["packages/*/test/**/*.browser.test.ts", "**/node_modules/**"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      },
      {
        // End-to-end tests of the examples (`npm run test:e2e`, after `npm run pwa:build`): the PWA
        // in Chromium against the example server on PostgreSQL.
        test: {
          name: "e2e",
          include: ["examples/*/test/**/*.e2e.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 180_000
        }
      },
      {
        // Pre-bundle every effect entry the suite imports, so Vite never re-optimises mid-run
        // (a reload in the middle of the suite would load a second copy of effect).
        optimizeDeps: { include: ["effect", "effect/Arbitrary", "effect/testing"] },
        // Browser tests read IASO's fixture files from ../shared (the project root stays allowed).
        server: { fs: { allow: [".", "../shared"] } },
        // Under CI a browser test must fail, not skip, when ../shared is absent.
        define: { __IASO_CI__: JSON.stringify(process.env["CI"] ?? "") },
        test: {
          name: "browser",
          include: ["packages/*/test/**/*.browser.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium", args: chromiumArgs }
            }),
            instances: [{ browser: "chromium" }]
          }
        }
      }
    ]
  }
})
