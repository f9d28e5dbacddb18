import { writeFileSync } from 'node:fs'
import { renderConfigJsonSchema, SCHEMA_FILE } from './config/json-schema.ts'

// `bun run schema`: writes the config's JSON Schema to config/schema.json. Run it after every
// change to src/config/schema.ts; a test fails while the committed file is out of date.

const file = process.argv[2] ?? SCHEMA_FILE
writeFileSync(file, renderConfigJsonSchema())
process.stdout.write(`wrote ${file}\n`)
