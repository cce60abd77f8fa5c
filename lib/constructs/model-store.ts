import { Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { REFERENCE_PATH, referencePathBeside } from '../../lambda/src/monitoring/reference-path';
import { DEFAULT_ARTIFACT_PATH, mlflowArtifactsPath, mlflowModelPath } from '../../lambda/src/names';
import { defaultModelBucketProps } from '../secure-defaults';
import type { StackModelSettings } from '../stack-settings';
import { bucketObjectsWildcardFinding } from './nag-findings';

export interface ModelStoreProps {
  /**
   * Where the served model is: MLflow's run layout in an existing bucket or a new one, or any
   * key or prefix (`modelLocation`).
   */
  readonly model: StackModelSettings;
}

/**
 * Where the served model lives, and read access to it and nothing else: the team's MLflow
 * artifacts bucket, or a new private bucket that outlives the stack.
 *
 * @example
 * ```typescript
 * import { ModelStore } from './constructs/model-store';
 *
 * const store = new ModelStore(this, 'Model', {
 *   model: { kind: 'location', bucketName: 'team-mlflow', path: '4/models/m-1a2b/artifacts/' },
 * });
 * store.grantReadModel(role);
 * new LambdaFunction(this, 'Function', { ...props, environment: { ...store.environment } }); // MODEL_LOCATION
 * ```
 */
export class ModelStore extends Construct {
  readonly bucket: IBucket;
  /** True when the stack made the bucket (it starts empty: the model has to be uploaded). */
  readonly createdBucket: boolean;
  /** The key or prefix the function reads, as in the model's s3:// URI. */
  readonly path: string;
  /** `s3://<bucket>/<path>`: where the function reads the model. */
  readonly uri: string;
  /**
   * The key of the model's reference profile, `reference/profile.json` beside its `model/`
   * directory (the run's artifacts), which the function reads when it is there; undefined
   * for a model elsewhere.
   */
  readonly referenceKey?: string;
  /** The function's model configuration (docs/design.md): the run layout, or MODEL_LOCATION. */
  readonly environment: Record<string, string>;
  /** An MLflow run's artifacts, `<experiment>/<run>/artifacts/`, when the model is a run's. */
  readonly artifactsRoot?: string;
  private readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, { model }: ModelStoreProps) {
    super(scope, id);
    this.kmsKeyArn = model.kmsKeyArn;
    // Only an MLflow run may go without a bucket of its own: a model location always names one.
    const existing = model.bucketName;
    this.createdBucket = existing === undefined;
    if (existing === undefined) {
      const bucket = new Bucket(this, 'Bucket', defaultModelBucketProps);
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions::AwsSolutions-S1',
        reason: 'Holds model artifacts only, read by one function; CloudTrail data events are the audit trail if one is wanted.',
      });
      this.bucket = bucket;
    } else {
      this.bucket = Bucket.fromBucketName(this, 'Bucket', existing);
    }

    if (model.kind === 'mlflow-run') {
      this.artifactsRoot = mlflowArtifactsPath(model.experimentId, model.runId);
      this.path = mlflowModelPath(model.experimentId, model.runId, model.artifactPath);
      this.environment = {
        MODEL_BUCKET: this.bucket.bucketName,
        MLFLOW_EXPERIMENT_ID: model.experimentId,
        RUN_ID: model.runId,
        ...(model.artifactPath !== DEFAULT_ARTIFACT_PATH && { MODEL_ARTIFACT_PATH: model.artifactPath }),
      };
    } else {
      this.path = model.path;
      this.environment = {
        MODEL_LOCATION: `s3://${model.bucketName}/${model.path}`,
        ...(model.runId !== undefined && { RUN_ID: model.runId }),
      };
    }
    this.uri = `s3://${this.bucket.bucketName}/${this.path}`;
    this.referenceKey = this.artifactsRoot === undefined ? referencePathBeside(this.path) : `${this.artifactsRoot}${REFERENCE_PATH}`;
  }

  /**
   * The keys the function may read. A prefix (ending in `/`, or the whole bucket) is read file
   * by file below it; any other path is read as an object when there is one, and as a
   * directory otherwise (the function tries both), so both are granted and nothing beside.
   */
  get readableKeys(): string[] {
    // A run's artifacts, all of them: its model, a vectorizer logged beside it (the course's preprocessor/), its reference profile.
    if (this.artifactsRoot !== undefined) return [`${this.artifactsRoot}*`];
    const model = this.path === '' || this.path.endsWith('/') ? [`${this.path}*`] : [this.path, `${this.path}/*`];
    return this.referenceKey === undefined ? model : [...model, this.referenceKey];
  }

  /** Read access to the served model's objects and its reference profile (and the bucket's key, if it has one), and nothing else in the bucket. */
  grantReadModel(grantee: IGrantable & IConstruct): void {
    const keys = this.readableKeys;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: keys.map((key) => this.bucket.arnForObjects(key)) }),
    );
    for (const key of keys.filter((k) => k.endsWith('*'))) {
      Validations.of(grantee).acknowledge({
        id: bucketObjectsWildcardFinding(this.bucket, key),
        reason: "Objects under the served model's location only: the files of one MLflow model directory.",
      });
    }
    // Listing, of the same keys and no others.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': keys } },
      }),
    );
    if (this.kmsKeyArn !== undefined) {
      // SSE-KMS: S3 decrypts with the bucket's key on the function's behalf, and only S3 may use the grant.
      const [, partition, , region] = this.kmsKeyArn.split(':');
      const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [this.kmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.${domain}` } },
        }),
      );
    }
  }
}
