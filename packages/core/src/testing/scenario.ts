import { it, type TestContext } from "vitest"

/** How many scenarios have been registered in this module instance. */
export const registry = { count: 0 }

/** Registers one conformance scenario (a vitest test), counting it. */
export const scenario = (name: string, body: (context: TestContext) => Promise<void>): void => {
  registry.count += 1
  it(name, body)
}
