#!/bin/sh
# Register the cfscan job definitions and submit one day: an array job of SHARDS shard
# tasks and a merge job that waits for the whole array (dependsOn the array's job id).
# Usage: batch-submit.sh QUEUE DAY BUCKET   (AWS CLI v2, credentials from the environment)
set -eu
QUEUE=${1:?usage: batch-submit.sh QUEUE DAY BUCKET}
DAY=${2:?day, YYYY-MM-DD}
BUCKET=${3:?bucket}
SHARDS=4 # must equal CFSCAN_SHARD_COUNT in batch-shard-job.json
here=$(cd "$(dirname "$0")" && pwd)
aws batch register-job-definition --cli-input-json "file://$here/batch-shard-job.json" >/dev/null
aws batch register-job-definition --cli-input-json "file://$here/batch-merge-job.json" >/dev/null
ARRAY=$(aws batch submit-job --job-name "cfscan-shards-$DAY" --job-queue "$QUEUE" \
  --job-definition cfscan-shard --array-properties size=$SHARDS \
  --parameters day="$DAY",bucket="$BUCKET" --query jobId --output text)
aws batch submit-job --job-name "cfscan-merge-$DAY" --job-queue "$QUEUE" \
  --job-definition cfscan-merge --depends-on jobId="$ARRAY" \
  --parameters day="$DAY",bucket="$BUCKET",shards=$SHARDS --query jobId --output text
