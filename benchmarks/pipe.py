"""The pipe a user would build instead of the product (benchmarks only).

  pg_dump -Fc | python pipe.py upload BUCKET KEY      boto3 upload_fileobj from stdin (multipart, 8 MiB parts)
  python pipe.py download BUCKET KEY | pg_restore ...  boto3 download_fileobj to stdout (ranged GETs)

boto3's defaults (TransferConfig: 8 MiB parts, 10 threads); AWS_ENDPOINT_URL points it at moto, path-style.
"""
import os
import sys

import boto3
from botocore.config import Config


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}),
    )


def main(argv):
    if len(argv) != 4 or argv[1] not in ("upload", "download"):
        sys.exit("usage: pipe.py upload|download BUCKET KEY")
    _, what, bucket, key = argv
    s3 = client()
    if what == "upload":
        s3.upload_fileobj(sys.stdin.buffer, bucket, key)
    else:
        s3.download_fileobj(bucket, key, sys.stdout.buffer)
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    main(sys.argv)
