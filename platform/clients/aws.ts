import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config';
import { traceAwsClient } from './broker-tracing';

export { SNSClient, SQSClient };

function awsOptions(config: Config) {
  return {
    endpoint: config.AWS_ENDPOINT,
    region: config.AWS_REGION,
    credentials: { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 3,
  };
}

/** An SNS client for the configured endpoint (moto locally, AWS when AWS_ENDPOINT points there); publishes carry the trace. */
export const createSns = (config: Config): SNSClient => traceAwsClient(new SNSClient(awsOptions(config)), 'aws_sns');

/** An SQS client for the configured endpoint; sends carry the trace. */
export const createSqs = (config: Config): SQSClient => traceAwsClient(new SQSClient(awsOptions(config)), 'aws_sqs');

/** The ARN an SNS topic has in the configured account and region. */
export const topicArn = (config: Config, name: string): string => `arn:aws:sns:${config.AWS_REGION}:${config.AWS_ACCOUNT_ID}:${name}`;

/** The ARN an SQS queue has in the configured account and region. */
export const queueArn = (config: Config, name: string): string => `arn:aws:sqs:${config.AWS_REGION}:${config.AWS_ACCOUNT_ID}:${name}`;
