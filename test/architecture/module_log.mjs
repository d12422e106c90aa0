// Runs the sim2real CLI (argv after this script) and appends the URL of every module it loads
// to the file named by S2R_MODULE_LOG: a resolve hook registered after tsx's sees every import.
import { register as registerTsx } from 'tsx/esm/api';
import { register } from 'node:module';

registerTsx();
register(`data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(process.env.S2R_MODULE_LOG)}, r.url + '\\n');
  return r;
}`)}`);
const { main } = await import('../../src/cli/main.ts');
await main([process.argv[0], 'sim2real', ...process.argv.slice(2)]);
