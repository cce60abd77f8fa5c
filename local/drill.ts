/**
 * npm run drill: the fault drill with a report (local/fault-drill.ts).
 *   npm run drill -- --rides 100000 --reject 0.3 --fail-calls 0.05 --sqs-fail-entries 0.1 --sqs-fail-calls 0.02 --seed 1
 */
import { parseArgs } from 'node:util';
import { useLocalEnvironment } from './environment';

const { values } = parseArgs({
  options: {
    rides: { type: 'string', default: '100000' },
    bad: { type: 'string', default: '0.01' },
    reject: { type: 'string', default: '0.3' },
    'fail-calls': { type: 'string', default: '0.05' },
    'sqs-fail-entries': { type: 'string', default: '0.1' },
    'sqs-fail-calls': { type: 'string', default: '0.02' },
    seed: { type: 'string', default: '1' },
  },
});
useLocalEnvironment({ logLevel: 'SILENT' });
// Imported after the environment is set: the function's telemetry reads it at load.
const { formatDrillReport, runFaultDrill } = await import('./fault-drill');

let lastLine = 0;
const report = await runFaultDrill(
  {
    rides: Number(values.rides),
    badShare: Number(values.bad),
    rejectEntryRate: Number(values.reject),
    failCallRate: Number(values['fail-calls']),
    sqsFailEntryRate: Number(values['sqs-fail-entries']),
    sqsFailCallRate: Number(values['sqs-fail-calls']),
    seed: Number(values.seed),
    ports: { kinesis: 0, s3: 0, sqs: 0 },
  },
  (line) => {
    if (Date.now() - lastLine < 5_000) return;
    lastLine = Date.now();
    console.error(line);
  },
);
console.log(formatDrillReport(report));
process.exit(report.passed ? 0 : 1);
