"""The S3 part of the AWS stand-in (see aws_standin.py): path-style buckets
and objects. CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
ListBuckets, ListObjects(V2), PutObject, HeadObject, GetObject (with a
simple Range), DeleteObject. Bodies are checked against Content-MD5,
x-amz-content-sha256 and x-amz-checksum-crc32/sha1/sha256 as S3 does."""
import base64
import email.utils
import hashlib
import re
import time
import urllib.parse
import zlib
from xml.sax.saxutils import escape

import aws_standin
from aws_standin import AwsError

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def xml_answer(body, status=200, headers=None):
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + body
    return status, {"Content-Type": "application/xml", **(headers or {})}, text.encode()


def store(standin, bucket, key, data, content_type, metadata):
    etag = '"' + hashlib.md5(data).hexdigest() + '"'
    standin.objects[(bucket, key)] = data
    standin.object_meta[(bucket, key)] = {"etag": etag, "content_type": content_type,
                                          "mtime": time.time(), "metadata": metadata}
    return etag


def payload(req):
    """The request body after aws-chunked decoding, checked against every
    digest the client sent."""
    sha = req.header("X-Amz-Content-SHA256", "")
    body, trailers = req.body, {}
    if sha.startswith("STREAMING-") or "aws-chunked" in req.header("Content-Encoding", ""):
        body, trailers = aws_standin.decode_aws_chunked(req)
        decoded = req.header("X-Amz-Decoded-Content-Length")
        if decoded is not None and int(decoded) != len(body):
            raise AwsError(400, "IncompleteBody", "You did not provide the number of bytes specified "
                           "by the Content-Length HTTP header")
    elif re.fullmatch(r"[0-9a-f]{64}", sha) and hashlib.sha256(body).hexdigest() != sha:
        raise AwsError(400, "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.")
    md5 = req.header("Content-MD5")
    if md5 is not None:
        try:
            want = base64.b64decode(md5, validate=True)
        except ValueError:
            want = b""
        if len(want) != 16:
            raise AwsError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        if hashlib.md5(body).digest() != want:
            raise AwsError(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    sums = {"crc32": lambda b: zlib.crc32(b).to_bytes(4, "big"),
            "sha1": lambda b: hashlib.sha1(b).digest(), "sha256": lambda b: hashlib.sha256(b).digest()}
    for name, fn in sums.items():
        sent = req.header("x-amz-checksum-" + name, trailers.get("x-amz-checksum-" + name))
        if sent is not None and base64.b64encode(fn(body)).decode() != sent:
            raise AwsError(400, "BadDigest", f"The {name.upper()} you specified did not match the "
                           "calculated checksum.")
    return body


def action_name(req):
    """The S3 operation a request is for, from its method, path and query."""
    parts = req.raw_path[1:].split("/", 1)
    if not parts[0]:
        return "ListBuckets"
    if len(parts) == 1 or not parts[1]:
        if req.method == "GET":
            return ("GetBucketLocation" if "location" in req.query else
                    "ListObjectsV2" if req.param("list-type") == "2" else "ListObjects")
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}.get(req.method, req.method)
    return {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject",
            "DELETE": "DeleteObject", "POST": "CreateMultipartUpload"}.get(req.method, req.method)


def handle(standin, req):
    parts = req.raw_path[1:].split("/", 1)
    bucket = urllib.parse.unquote(parts[0])
    key = urllib.parse.unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    req.action = action_name(req)
    body = payload(req)
    with standin.lock:
        if not bucket:
            if req.method != "GET":
                raise AwsError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
            return list_buckets(standin)
        if key is None:
            return bucket_op(standin, req, bucket, body)
        if bucket not in standin.buckets:
            raise AwsError(404, "NoSuchBucket", "The specified bucket does not exist")
        return object_op(standin, req, bucket, key, body)


def list_buckets(standin):
    items = "".join(f"<Bucket><Name>{escape(b)}</Name><CreationDate>{aws_standin.amz_time(t)}</CreationDate></Bucket>"
                    for b, t in sorted(standin.buckets.items()))
    return xml_answer(f'<ListAllMyBucketsResult xmlns="{XMLNS}"><Owner><ID>{"0" * 64}</ID>'
                      f"<DisplayName>standin</DisplayName></Owner><Buckets>{items}</Buckets>"
                      "</ListAllMyBucketsResult>")


def bucket_op(standin, req, bucket, body):
    m = req.method
    if m == "PUT":
        if not BUCKET_RE.match(bucket) or ".." in bucket:
            raise AwsError(400, "InvalidBucketName", "The specified bucket is not valid.")
        if bucket in standin.buckets:
            raise AwsError(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named "
                           "bucket succeeded and you already own it.")
        standin.create_bucket(bucket)
        return 200, {"Location": "/" + bucket}, b""
    if bucket not in standin.buckets:
        raise AwsError(404, "NoSuchBucket", "The specified bucket does not exist")
    if m == "HEAD":
        return 200, {"x-amz-bucket-region": standin.region}, b""
    if m == "DELETE":
        if any(b == bucket for b, _ in standin.objects):
            raise AwsError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
        del standin.buckets[bucket]
        return 204, {}, b""
    if m != "GET":
        raise AwsError(501, "NotImplemented", f"this stand-in does not implement {m} on a bucket")
    if req.action == "GetBucketLocation":
        loc = "" if standin.region == "us-east-1" else escape(standin.region)
        return xml_answer(f'<LocationConstraint xmlns="{XMLNS}">{loc}</LocationConstraint>')
    return list_objects(standin, req, bucket)


def list_objects(standin, req, bucket):
    v2 = req.action == "ListObjectsV2"
    prefix, delim = req.param("prefix", ""), req.param("delimiter", "")
    max_keys = int(req.param("max-keys", "1000"))
    url = req.param("encoding-type") == "url"
    enc = (lambda s: urllib.parse.quote(s, safe="/")) if url else (lambda s: s)
    if v2:
        token = req.param("continuation-token")
        after = base64.urlsafe_b64decode(token).decode() if token else req.param("start-after", "")
    else:
        after = req.param("marker", "")
    skip_under = after if delim and after.endswith(delim) else None
    entries, seen = [], set()
    for k in sorted(k for b, k in standin.objects if b == bucket and k.startswith(prefix) and k > after):
        if skip_under and k.startswith(skip_under):
            continue
        if delim and delim in k[len(prefix):]:
            p = k[:len(prefix) + k[len(prefix):].index(delim) + len(delim)]
            if p not in seen:
                seen.add(p)
                entries.append(("p", p))
        else:
            entries.append(("k", k))
    page, truncated = entries[:max_keys], len(entries) > max_keys
    contents = [v for kind, v in page if kind == "k"]
    prefixes = [v for kind, v in page if kind == "p"]
    last = page[-1][1] if page else ""
    out = [f'<ListBucketResult xmlns="{XMLNS}"><Name>{escape(bucket)}</Name><Prefix>{escape(enc(prefix))}</Prefix>']
    if v2:
        out.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
    else:
        out.append(f"<Marker>{escape(enc(after))}</Marker>")
    out.append(f"<MaxKeys>{max_keys}</MaxKeys><IsTruncated>{str(truncated).lower()}</IsTruncated>")
    if delim:
        out.append(f"<Delimiter>{escape(enc(delim))}</Delimiter>")
    if url:
        out.append("<EncodingType>url</EncodingType>")
    if truncated and v2:
        out.append(f"<NextContinuationToken>{base64.urlsafe_b64encode(last.encode()).decode()}</NextContinuationToken>")
    elif truncated and delim:
        out.append(f"<NextMarker>{escape(enc(last))}</NextMarker>")
    for k in contents:
        meta = standin.object_meta[(bucket, k)]
        out.append(f"<Contents><Key>{escape(enc(k))}</Key><LastModified>{aws_standin.amz_time(meta['mtime'])}"
                   f"</LastModified><ETag>{escape(meta['etag'])}</ETag><Size>{len(standin.objects[(bucket, k)])}"
                   "</Size><StorageClass>STANDARD</StorageClass></Contents>")
    out.extend(f"<CommonPrefixes><Prefix>{escape(enc(p))}</Prefix></CommonPrefixes>" for p in prefixes)
    out.append("</ListBucketResult>")
    return xml_answer("".join(out))


def object_op(standin, req, bucket, key, body):
    m = req.method
    if m == "PUT":
        if req.header("x-amz-copy-source") or "partNumber" in req.query:
            raise AwsError(501, "NotImplemented", "this stand-in does not implement copies or multipart uploads")
        meta = {k.lower(): v for k, v in req.headers.items() if k.lower().startswith("x-amz-meta-")}
        etag = store(standin, bucket, key, body, req.header("Content-Type", "binary/octet-stream"), meta)
        return 200, {"ETag": etag}, b""
    if m == "DELETE":
        standin.objects.pop((bucket, key), None)
        standin.object_meta.pop((bucket, key), None)
        return 204, {}, b""
    if m not in ("GET", "HEAD"):
        raise AwsError(501, "NotImplemented", f"this stand-in does not implement {m} on an object")
    if (bucket, key) not in standin.objects:
        raise AwsError(404, "NoSuchKey", "The specified key does not exist.")
    data, meta = standin.objects[(bucket, key)], standin.object_meta[(bucket, key)]
    headers = {"ETag": meta["etag"], "Content-Type": meta["content_type"], "Accept-Ranges": "bytes",
               "Last-Modified": email.utils.formatdate(meta["mtime"], usegmt=True), **meta["metadata"]}
    status = 200
    rng = re.fullmatch(r"bytes=(\d*)-(\d*)", req.header("Range", ""))
    if rng and data and (rng.group(1) or rng.group(2)):
        first, last = rng.group(1), rng.group(2)
        start = int(first) if first else max(0, len(data) - int(last))
        end = min(int(last), len(data) - 1) if first and last else len(data) - 1
        if start >= len(data):
            raise AwsError(416, "InvalidRange", "The requested range is not satisfiable")
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        data, status = data[start:end + 1], 206
    headers["Content-Length"] = str(len(data))
    return status, headers, data
