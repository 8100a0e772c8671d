#!/usr/bin/env python3
"""botocore's S3 SigV4 signer as an independent reference for tests/test_s3.c.

Usage: s3_botocore_sign.py METHOD URL REGION AMZDATE ACCESS SECRET TOKEN
(TOKEN "" for none).  Signs a request carrying the headers cfscan sends (x-amz-date,
x-amz-content-sha256 of the empty body, x-amz-security-token when there is a token; the
host comes from the URL, as botocore takes it) at the fixed time AMZDATE and prints the
canonical request, a line "----", and the Authorization header value."""
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

method, url, region, amz_date, ak, sk, token = sys.argv[1:8]
empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
req = AWSRequest(method=method, url=url)
req.headers["X-Amz-Date"] = amz_date
req.headers["X-Amz-Content-SHA256"] = empty
if token:
    req.headers["X-Amz-Security-Token"] = token
req.context["timestamp"] = amz_date
auth = S3SigV4Auth(Credentials(ak, sk, token or None), "s3", region)
canonical = auth.canonical_request(req)
sts = auth.string_to_sign(req, canonical)
sig = auth.signature(sts, req)
signed = auth.signed_headers(auth.headers_to_sign(req))
print(canonical)
print("----")
print("AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s" % (auth.scope(req), signed, sig))
