/**
 * `sim2real keys`: makes the ed25519 key pair a training machine signs policies with
 * (`DIR/key`, mode 0600) and the public half an agent trusts (`DIR/key.pub`).
 */
import { Command } from 'commander';
import { writeKeyPair } from '../agent/signing.ts';
import { asUsage, printJson, say } from './common.ts';

interface KeysOpts {
  out: string;
  json?: boolean;
}

/** The `keys` command. */
export function keysCommand(): Command {
  return new Command('keys')
    .description('Make an ed25519 key pair for signing policies: DIR/key (private, mode 0600) and DIR/key.pub (give it to the robot\'s agent with --trust). Never overwrites a key.')
    .requiredOption('--out <dir>', 'directory for key and key.pub (created if missing)')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real keys --out ~/.sim2real/keys',
      '  scp ~/.sim2real/keys/key.pub robot:/etc/sim2real/trusted/laptop.pub',
      '  sim2real push policy.onnx --key ~/.sim2real/keys/key --to wss://robot:9091 --token-file ~/.sim2real-token --activate',
      '\nKeys, signing and the agent: docs/agent.md',
    ].join('\n'))
    .action((o: KeysOpts) => {
      const k = asUsage(() => writeKeyPair(o.out));
      const line = `sim2real keys: wrote ${k.privateFile} (private, mode 600: keep it on this machine) and ${k.publicFile} (key id ${k.keyId}: trust it on the robot with sim2real agent --trust ${k.publicFile})`;
      if (o.json) {
        say(line);
        printJson({ private_key: k.privateFile, public_key: k.publicFile, key_id: k.keyId });
      } else console.log(line);
    });
}
