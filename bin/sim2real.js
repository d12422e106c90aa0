#!/usr/bin/env node
// Entry point of the `sim2real` command: registers tsx so the TypeScript sources run as they
// are (no build step between `npm ci` and `npx sim2real`), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
