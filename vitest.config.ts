import { playwright } from "@vitest/browser-playwright"
import { defineConfig } from "vitest/config"

/** Chromium flags that keep Debian's Chromium quiet on a machine without outside network. */
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

export default defineConfig({
  test: {
    // Two test files at a time on CI's two cores: the real-PostgreSQL and PGlite files mostly wait
    // on the database, so another file's JavaScript runs meanwhile (npm test 247 s -> 185 s).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "node",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: ["packages/*/test/**/*.browser.test.ts", "**/node_modules/**"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000
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
