#!/bin/sh
# Installs moto (S3/SQS mock server) for the cloudtrail plugin integration test.
set -e
python3 -m pip install --quiet 'moto[server]'
