/**
 * scikit-learn's Pipeline: its steps in order, each fed what the one before made. A pipeline
 * that starts with a vectorizer takes rides; one whose last step is a regressor predicts, one
 * whose last step transforms (a preprocessor saved apart from its model) makes a matrix.
 */
import { fail } from '../errors';
import { fitted, instanceOf, sequence } from '../pickle/attributes';
import type { PyObject } from '../pickle/python-object';
import { arrayAt, field } from '../spec-checks';
import type { Batch, MatrixStage, PredictionStage, SpecBase, Stage, StageInput } from '../stage';
import type { BuildContext, Family, ParseContext, PickleContext } from './family';

export interface PipelineSpec extends SpecBase {
  readonly type: 'pipeline';
  readonly steps: readonly SpecBase[];
  /** The last step was None or "passthrough": the pipeline only transforms (scikit-learn's predict needs a last step that predicts). */
  readonly transformsOnly?: boolean;
}

const CLASS = 'sklearn.pipeline.Pipeline';

function fromPickle(object: PyObject, where: string, context: PickleContext): Omit<PipelineSpec, 'type'> {
  const steps = sequence(fitted(instanceOf(object, [CLASS], where), 'steps', where), `${where}.steps`);
  const estimators = steps
    .map((step, i) =>
      Array.isArray(step) && step.length === 2
        ? ([step[1], i] as const)
        : fail(`${where}.steps[${i}]`, 'expected a (name, estimator) pair'),
    )
    // scikit-learn skips a step set to None or "passthrough".
    .filter(([estimator]) => estimator !== null && estimator !== 'passthrough');
  if (estimators.length === 0) fail(`${where}.steps`, 'a pipeline with no step');
  const last = steps[steps.length - 1] as unknown[];
  return {
    estimator: 'Pipeline',
    steps: estimators.map(([estimator, i]) => context.read(estimator, `${where}.steps[${i}]`)),
    ...(last[1] === null || last[1] === 'passthrough' ? { transformsOnly: true } : {}),
  };
}

function parse(spec: Record<string, unknown>, path: string, context: ParseContext): PipelineSpec {
  const steps = arrayAt(field(spec, 'steps', path), `${path}.steps`, 'an array of steps');
  if (steps.length === 0) fail(`${path}.steps`, 'a pipeline with no step');
  return {
    type: 'pipeline',
    estimator: 'Pipeline',
    steps: steps.map((step, i) => context.parse(step, `${path}.steps[${i}]`)),
    ...(spec.transformsOnly === true ? { transformsOnly: true } : {}),
  };
}

/** The stages in order, each built for what the one before makes. */
export function chain(steps: readonly SpecBase[], input: StageInput, path: string, context: BuildContext): Stage[] {
  const stages: Stage[] = [];
  let next = input;
  steps.forEach((step, i) => {
    const stage = context.build(step, next, `${path}[${i}]`);
    if (stage.output === 'predictions' && i < steps.length - 1) {
      fail(`${path}[${i}]`, `${stage.name} predicts, so it can only be the last step`);
    }
    if (stage.output === 'matrix') next = { kind: 'matrix', shape: stage.shape };
    stages.push(stage);
  });
  return stages;
}

function build(spec: PipelineSpec, input: StageInput, path: string, context: BuildContext): Stage {
  const stages = chain(spec.steps, input, `${path}.steps`, context);
  const last = stages[stages.length - 1];
  if (spec.transformsOnly && last.output === 'predictions') {
    fail(
      `${path}.steps`,
      `${last.name} predicts, but the last step is None or "passthrough", so scikit-learn's Pipeline can neither predict nor transform`,
    );
  }
  const transforms = (last.output === 'matrix' ? stages : stages.slice(0, -1)) as MatrixStage[];
  const run = (batch: Batch): Batch => transforms.reduce<Batch>((rows, stage) => stage.transform(rows), batch);
  const names = stages.map((s) => s.name);
  const describe = () => ({ ...Object.assign({}, ...stages.map((s) => s.describe())), steps: names.join(' -> ') });
  const inputs = stages[0].inputs;
  if (last.output === 'matrix') {
    return {
      output: 'matrix',
      name: 'Pipeline',
      inputs,
      shape: last.shape,
      transform: (batch) => run(batch) as ReturnType<MatrixStage['transform']>,
      describe,
    };
  }
  const predictor: PredictionStage = last;
  // Named after the estimator that predicts, as the step a user thinks of the pipeline as.
  return {
    output: 'predictions',
    name: predictor.name,
    inputs,
    float32: predictor.float32,
    predict: (batch) => predictor.predict(run(batch)),
    describe,
  };
}

export const pipeline: Family<PipelineSpec> = {
  classes: { [CLASS]: 'Pipeline' },
  fromPickle,
  parse,
  signature: (spec, of) => {
    // One call per child: a pipeline of one step asking its step twice doubles the work at each nesting.
    const first = of(spec.steps[0]);
    return { takes: first.takes, makes: spec.steps.length === 1 ? first.makes : of(spec.steps[spec.steps.length - 1]).makes };
  },
  build,
};
