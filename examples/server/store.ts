/**
 * The example server's SDK over its store, chosen by the environment: PostgreSQL through
 * `@iaso/adapter-postgres` when `DATABASE_URL` is set (tables in the schema `IASO_SCHEMA`, default
 * `iaso`; submission files under `IASO_BLOB_DIR`, default `.iaso-blobs` in the working directory),
 * else PGlite in memory with files in memory (nothing survives the process).
 * @module
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { BlobStore, createIaso, type IasoClient } from "@iaso/core"
import { FileBlobStore } from "@iaso/core/node"

/** The SDK over the store the environment names, and a line saying which. */
export const openStore = async (env: NodeJS.ProcessEnv = process.env): Promise<{ readonly iaso: IasoClient; readonly description: string }> => {
  const url = env["DATABASE_URL"]
  if (url === undefined || url === "") {
    console.warn("DATABASE_URL is not set: using PGlite in memory (everything is lost when the process ends)")
    return { iaso: createIaso({ store: PGliteStore.layer({ schema: "iaso" }), blobs: BlobStore.memory() }), description: "PGlite in memory" }
  }
  const schema = env["IASO_SCHEMA"] ?? "iaso"
  const directory = env["IASO_BLOB_DIR"] ?? ".iaso-blobs"
  return {
    iaso: createIaso({ store: PostgresStore.layer({ connectionString: url, schema }), blobs: FileBlobStore.layer({ directory }) }),
    description: `PostgreSQL (schema ${schema}; files under ${directory})`
  }
}
