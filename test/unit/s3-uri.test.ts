/** The S3 rules the function, the stack and local/ share (lambda/src/s3-uri.ts). */
import { describe, expect, it } from 'vitest';
import { isBucketName, parseS3Uri } from '../../lambda/src/s3-uri';

describe('parseS3Uri', () => {
  it.each([
    ['s3://team-mlflow/4/models/m-1/artifacts/', { bucket: 'team-mlflow', key: '4/models/m-1/artifacts/' }],
    ['s3://team-mlflow/web/lin_reg.pkl', { bucket: 'team-mlflow', key: 'web/lin_reg.pkl' }],
    ['s3://team-mlflow/', { bucket: 'team-mlflow', key: '' }],
    ['s3://team-mlflow', { bucket: 'team-mlflow', key: '' }],
    // The key as written: what a reader refuses of it (or drops) is that reader's.
    ['s3://team-mlflow//m/', { bucket: 'team-mlflow', key: '/m/' }],
    ['s3://Team_MLflow/m', { bucket: 'Team_MLflow', key: 'm' }],
  ])('reads %s', (uri, expected) => {
    expect(parseS3Uri(uri)).toEqual(expected);
  });

  it.each(['s3://', 's3:///m/', '/opt/model', 'S3://team-mlflow/m', 'https://team-mlflow.s3.amazonaws.com/m'])(
    'finds no S3 location in %s',
    (uri) => {
      expect(parseS3Uri(uri)).toBeUndefined();
    },
  );
});

describe('isBucketName', () => {
  it.each(['abc', 'team-mlflow', 'my.mlflow.artifacts', '0-9', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(isBucketName(name)).toBe(true);
  });

  it.each(['ab', 'a'.repeat(64), 'Team-MLflow', 'team_mlflow', '-team', 'team-', 'team..mlflow', 'team mlflow'])('refuses %s', (name) => {
    expect(isBucketName(name)).toBe(false);
  });
});
