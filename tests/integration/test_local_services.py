"""lamb local start's SQS, SNS, S3 and EventBridge through real clients: boto3 (JSON
protocol), the AWS CLI, and the query protocol's form and XML as older SDKs
send it; the event source mapping's partial batch failures, redrive to a
dead-letter queue on the manual clock, batching window and FilterCriteria;
FIFO groups; long polling on the clock; message attributes and their MD5;
PutEvents matched against rules; an async OnFailure record landing in a
queue; a function reaching the queue through AWS_ENDPOINT_URL_SQS; SNS
fan-out with a FilterPolicy; an SQS -> function -> SQS loop stopped at 16
invocations; an S3 bucket as a directory, a file dropped in firing the
function with the right key; queues (attributes included) and pending async
retries surviving a SIGKILL, and lamb local reset; a soak of 10,000 messages
under the real clock with partial failures."""
import json
import os
import shutil
import subprocess
import threading
import time
import unittest
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import lambtest
from test_local_start import LocalStart

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Timeout: 5
Resources:
  Dead:
    Type: AWS::SQS::Queue
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work
      VisibilityTimeout: 20
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 2}
  Plain:
    Type: AWS::SQS::Queue
    Properties: {QueueName: plain}
  Ordered:
    Type: AWS::SQS::Queue
    Properties: {QueueName: ordered.fifo, FifoQueue: true}
  Filtered:
    Type: AWS::SQS::Queue
    Properties: {QueueName: filtered}
  Failures:
    Type: AWS::SQS::Queue
    Properties: {QueueName: failures}
  Uploads:
    Type: AWS::S3::Bucket
    Properties: {BucketName: uploads}
  Ingest:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.ingest
      Events:
        Csv:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - {Name: prefix, Value: in/}
                  - {Name: suffix, Value: .csv}
        Gone:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: [s3:ObjectRemoved:*]
  Alerts:
    Type: AWS::SNS::Topic
    Properties: {TopicName: alerts}
  AlertCopies:
    Type: AWS::SQS::Queue
    Properties: {QueueName: alert-copies}
  CopySubscription:
    Type: AWS::SNS::Subscription
    Properties:
      Protocol: sqs
      Endpoint: !GetAtt AlertCopies.Arn
      TopicArn: !Ref Alerts
  Pager:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.page
      Events:
        Urgent:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
            FilterPolicy:
              severity: [high]
              score: [{numeric: ['>=', 7]}]
  Loop:
    Type: AWS::SQS::Queue
    Properties: {QueueName: loop}
  Looper:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.loop
      Events:
        Q:
          Type: SQS
          Properties: {Queue: !GetAtt Loop.Arn}
  Keeper:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.consume
      Events:
        Q:
          Type: SQS
          Properties:
            Queue: !GetAtt Filtered.Arn
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["keep"]}}'
  Flaky:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.flaky
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
  FlakyToTopic:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.flaky
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure: {Type: SNS, Destination: !Ref Alerts}
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.relay
  Router:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.route
      Events:
        Big:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [shop]
              detail:
                total: [{numeric: ['>', 100]}]
  GoldRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        detail-type: [{prefix: Order}]
        detail:
          tier: [{equals-ignore-case: gold}]
      Targets:
        - Arn: !GetAtt Router.Arn
          Id: router
          InputPath: $.detail
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.consume
      Events:
        Q:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
"""

APP = """\
import json, os, urllib.request

def flaky(event, context):
    raise ValueError("flaky " + event.get("tag", ""))

def route(event, context):
    print("ROUTED " + json.dumps(event, sort_keys=True), flush=True)

def relay(event, context):
    # what an SDK does with AWS_ENDPOINT_URL_SQS: lamb's own endpoint
    url = os.environ["AWS_ENDPOINT_URL_SQS"]
    body = json.dumps({"QueueUrl": url + "/123456789012/plain", "MessageBody": event["say"]}).encode()
    req = urllib.request.Request(url + "/", data=body, headers={
        "X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return {"sent": json.loads(r.read())["MessageId"], "lambda": os.environ["AWS_ENDPOINT_URL_LAMBDA"]}

def send(queue, body):
    # as botocore does inside Lambda: the trace header goes with the request
    url = os.environ["AWS_ENDPOINT_URL_SQS"]
    data = json.dumps({"QueueUrl": url + "/123456789012/" + queue, "MessageBody": body}).encode()
    req = urllib.request.Request(url + "/", data=data, headers={
        "X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0",
        "X-Amzn-Trace-Id": os.environ.get("_X_AMZN_TRACE_ID", "")})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())

def ingest(event, context):
    r = event["Records"][0]
    print("S3 %s %s %s %d" % (r["eventName"], r["s3"]["bucket"]["name"], r["s3"]["object"]["key"],
                              r["s3"]["object"]["size"]), flush=True)

def page(event, context):
    sns = event["Records"][0]["Sns"]
    print("PAGED " + json.dumps({"message": sns["Message"], "subject": sns["Subject"],
                                 "source": event["Records"][0]["EventSource"],
                                 "severity": sns["MessageAttributes"]["severity"]["Value"]}), flush=True)

def loop(event, context):
    for r in event["Records"]:
        print("LOOP " + r["body"], flush=True)
        send("loop", str(int(r["body"]) + 1))

def consume(event, context):
    failed = []
    for r in event["Records"]:
        print("GOT %s %s %s" % (r["body"], r["attributes"]["ApproximateReceiveCount"], r["eventSourceARN"]),
              flush=True)
        if r["messageAttributes"]:
            print("MATTRS %s %s" % (r["body"], json.dumps(r["messageAttributes"], sort_keys=True)), flush=True)
        if r["body"].startswith("bad"):
            failed.append({"itemIdentifier": r["messageId"]})
    return {"batchItemFailures": failed}
"""


def md5_of_attributes(attrs):
    """MD5OfMessageAttributes as SQS documents it: names sorted, each name,
    type and value length-prefixed (4 bytes, big-endian), a transport byte
    (1 string, 2 binary) before the value."""
    import hashlib
    import struct
    h = hashlib.md5()

    def field(b):
        h.update(struct.pack(">I", len(b)) + b)
    for name in sorted(attrs):
        a = attrs[name]
        field(name.encode())
        field(a["DataType"].encode())
        if "BinaryValue" in a:
            h.update(b"\x02")
            field(a["BinaryValue"])
        else:
            h.update(b"\x01")
            field(a["StringValue"].encode())
    return h.hexdigest()

ENV = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
           AWS_REGION="us-east-1")


def setUpModule():
    global boto3
    try:
        import boto3
    except ImportError:
        raise unittest.SkipTest("boto3 is not installed")


class Services(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LocalStart("--clock", "manual", files={"template.yaml": TEMPLATE, "src/app.py": APP})
        cls.url = f"http://127.0.0.1:{cls.s.services}"
        cls.sqs = boto3.client("sqs", endpoint_url=cls.url, region_name="us-east-1", aws_access_key_id="test",
                               aws_secret_access_key="test")

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        if rc != 0:
            raise AssertionError(f"local start exited {rc}")

    def got(self):
        return [l.split()[1:3] for l in self.s.stderr().splitlines() if l.startswith("GOT ")]

    def wait_got(self, bodies, n):
        """The deliveries of bodies once there are n of them (a send returns
        before the function it triggers has run)."""
        deadline = time.time() + 30
        while True:
            got = [g for g in self.got() if g[0] in bodies]
            if len(got) >= n or time.time() > deadline:
                return got
            time.sleep(0.05)

    def test_partial_batch_failure_and_redrive(self):
        work = self.sqs.get_queue_url(QueueName="work")["QueueUrl"]
        entries = [{"Id": str(i), "MessageBody": ("bad" if i % 3 == 0 else "good") + str(i)} for i in range(10)]
        r = self.sqs.send_message_batch(QueueUrl=work, Entries=entries)
        self.assertEqual(len(r["Successful"]), 10)
        self.assertEqual(r.get("Failed", []), [])
        mine = {e["MessageBody"] for e in entries}
        # ten messages fill the batch: delivered at once, in one invocation
        self.assertEqual(len(self.wait_got(mine, 10)), 10)
        deadline = time.time() + 20  # the function has printed; its answer comes next
        while time.time() < deadline:
            attrs = self.sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["All"])["Attributes"]
            counts = (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"])
            if counts != ("0", "10"):
                break
            time.sleep(0.05)
        self.assertEqual(counts, ("0", "4"))  # only the failed items went back
        out = self.s.clock("advance", "26s").stdout  # visibility timeout, then the 5 s window: the 4 again
        self.assertIn("sqs Consumer/Q  Consumer  ok", out)
        self.s.clock("advance", "26s")  # received twice already: to the dead-letter queue
        got = [g for g in self.got() if g[0] in mine]
        bad = sorted(b for b, n in got if b.startswith("bad"))
        self.assertEqual(bad, sorted(["bad0", "bad3", "bad6", "bad9"] * 2))
        self.assertEqual(sorted(b for b, n in got if b.startswith("good")), sorted(f"good{i}" for i in range(10) if i % 3))
        self.assertTrue(all(g[0].startswith("good") and g[1] == "1" for g in got if g[0].startswith("good")))
        dead = self.sqs.get_queue_url(QueueName="Dead")["QueueUrl"]
        msgs = self.sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in msgs), ["bad0", "bad3", "bad6", "bad9"])
        attrs = self.sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.assertIn("moved from work to Dead after 2 receives", self.s.stderr())

    def test_batching_window(self):
        work = self.sqs.get_queue_url(QueueName="work")["QueueUrl"]
        self.sqs.send_message(QueueUrl=work, MessageBody="good-window")
        time.sleep(0.5)
        self.assertEqual(self.wait_got({"good-window"}, 0), [], "a lone message did not wait for the window")
        out = self.s.clock("advance", "6s").stdout
        self.assertIn("sqs Consumer/Q  Consumer  ok", out)
        self.assertIn(["good-window", "1"], self.got())

    def test_boto3_operations(self):
        url = self.sqs.create_queue(QueueName="made", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
        self.assertEqual(url, f"{self.url}/123456789012/made")
        self.assertIn(url, self.sqs.list_queues(QueueNamePrefix="ma")["QueueUrls"])
        self.sqs.send_message(QueueUrl=url, MessageBody="one")
        self.sqs.send_message(QueueUrl=url, MessageBody="two", DelaySeconds=30)
        m = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in m], ["one"])  # two is delayed
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))  # one is in flight
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m[0]["ReceiptHandle"], VisibilityTimeout=0)
        again = self.sqs.receive_message(QueueUrl=url)["Messages"][0]
        self.assertEqual((again["Body"], again["Attributes"]["ApproximateReceiveCount"]), ("one", "2"))
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
        self.s.clock("advance", "31s")
        m = self.sqs.receive_message(QueueUrl=url)["Messages"]
        self.assertEqual(m[0]["Body"], "two")
        r = self.sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": m[0]["ReceiptHandle"]}])
        self.assertEqual([x["Id"] for x in r["Successful"]], ["a"])
        self.sqs.send_message(QueueUrl=url, MessageBody="three")
        self.sqs.purge_queue(QueueUrl=url)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        with self.assertRaises(self.sqs.exceptions.QueueDoesNotExist):
            self.sqs.get_queue_url(QueueName="nope")

    def test_long_polling(self):
        url = self.sqs.create_queue(QueueName="waits", Attributes={"ReceiveMessageWaitTimeSeconds": "20"})["QueueUrl"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ReceiveMessageWaitTimeSeconds"])
        self.assertEqual(attrs["Attributes"], {"ReceiveMessageWaitTimeSeconds": "20"})
        got = {}
        # a client of its own, made here (boto3 makes clients unsafely across threads)
        waiting = boto3.client("sqs", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                               aws_secret_access_key="test")

        def receive(key, **kw):
            got[key] = waiting.receive_message(QueueUrl=url, **kw)

        # the queue's wait: the receive answers when a message arrives
        t = threading.Thread(target=receive, args=("queue's",))
        t.start()
        time.sleep(0.3)
        self.assertTrue(t.is_alive(), got)
        self.sqs.send_message(QueueUrl=url, MessageBody="late")  # the loop serves others meanwhile
        t.join(10)
        self.assertEqual(got["queue's"]["Messages"][0]["Body"], "late")
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=got["queue's"]["Messages"][0]["ReceiptHandle"])
        # WaitTimeSeconds: with nothing sent, the wait ends on the (manual) clock
        t = threading.Thread(target=receive, args=("empty",), kwargs={"WaitTimeSeconds": 4})
        t.start()
        time.sleep(0.3)
        self.s.clock("advance", "2s")
        self.assertTrue(t.is_alive(), "a receive answered before its wait ended")
        self.s.clock("advance", "2s")
        t.join(10)
        self.assertNotIn("Messages", got["empty"])
        # a delayed message wakes a receive once it turns visible
        self.sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=3)
        t = threading.Thread(target=receive, args=("delayed",), kwargs={"WaitTimeSeconds": 10})
        t.start()
        time.sleep(0.3)
        self.s.clock("advance", "3s")
        t.join(10)
        self.assertEqual(got["delayed"]["Messages"][0]["Body"], "delayed")
        with self.assertRaises(self.sqs.exceptions.ClientError):
            self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)

    def test_message_attributes(self):
        url = self.sqs.create_queue(QueueName="attrs")["QueueUrl"]
        attrs = {"colour": {"DataType": "String", "StringValue": "blue"},
                 "size": {"DataType": "Number", "StringValue": "12"},
                 "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01bin"}}
        r = self.sqs.send_message(QueueUrl=url, MessageBody="with", MessageAttributes=attrs)
        self.assertEqual(r["MD5OfMessageAttributes"], md5_of_attributes(attrs))
        red = {"colour": {"DataType": "String.tag", "StringValue": "red"}}
        r = self.sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "batched", "MessageAttributes": red}])
        self.assertEqual(r["Successful"][0]["MD5OfMessageAttributes"], md5_of_attributes(red))
        self.assertNotIn("MD5OfMessageAttributes", self.sqs.send_message(QueueUrl=url, MessageBody="without"))
        m = {x["Body"]: x for x in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                            MessageAttributeNames=["All"])["Messages"]}
        self.assertEqual(m["with"]["MessageAttributes"], attrs)
        self.assertEqual(m["with"]["MD5OfMessageAttributes"], md5_of_attributes(attrs))
        self.assertEqual(m["batched"]["MessageAttributes"], red)
        self.assertNotIn("MessageAttributes", m["without"])
        for x in m.values():
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=x["ReceiptHandle"], VisibilityTimeout=0)
        m = {x["Body"]: x for x in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                            MessageAttributeNames=["size"])["Messages"]}
        self.assertEqual(m["with"]["MessageAttributes"], {"size": attrs["size"]})  # only those asked for
        self.assertEqual(m["with"]["MD5OfMessageAttributes"], md5_of_attributes({"size": attrs["size"]}))
        with self.assertRaises(self.sqs.exceptions.ClientError):
            self.sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"a": {"DataType": "String"}})
        # the SQS event's messageAttributes, as Lambda passes them
        work = self.sqs.get_queue_url(QueueName="work")["QueueUrl"]
        self.sqs.send_message(QueueUrl=work, MessageBody="good-attrs", MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "blue"}})
        self.s.clock("advance", "6s")  # the batching window
        lines = self.wait_lines("MATTRS good-attrs ", 1)
        self.assertEqual(json.loads(lines[0]), {"colour": {"stringValue": "blue", "stringListValues": [],
                                                           "binaryListValues": [], "dataType": "String"}})

    def test_fifo_groups_keep_their_order(self):
        url = self.sqs.get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
        for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B")):
            self.sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)
        dup = self.sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A", MessageDeduplicationId="a1")
        m = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        self.assertEqual(m[0]["Body"], "a1")
        self.assertEqual(m[0]["MessageId"], dup["MessageId"])
        m2 = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in m2], ["b1"])  # a2 waits behind a1 in flight
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m[0]["ReceiptHandle"])
        m3 = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in m3], ["a2"])

    def test_query_protocol(self):
        def call(**form):
            data = urllib.parse.urlencode(form).encode()
            req = urllib.request.Request(self.url + "/", data=data, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, ET.fromstring(r.read())
            except urllib.error.HTTPError as e:
                return e.code, ET.fromstring(e.read())
        ns = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}
        status, x = call(Action="CreateQueue", QueueName="legacy", **{"Attribute.1.Name": "VisibilityTimeout",
                                                                       "Attribute.1.Value": "7"})
        self.assertEqual(status, 200)
        url = x.find(".//q:QueueUrl", ns).text
        status, x = call(Action="SendMessage", QueueUrl=url, MessageBody="hi & <there>")
        import hashlib
        self.assertEqual(x.find(".//q:MD5OfMessageBody", ns).text, hashlib.md5(b"hi & <there>").hexdigest())
        status, x = call(Action="ReceiveMessage", QueueUrl=url, MaxNumberOfMessages="5", **{"AttributeName.1": "All"})
        msg = x.find(".//q:Message", ns)
        self.assertEqual(msg.find("q:Body", ns).text, "hi & <there>")
        names = {a.find("q:Name", ns).text: a.find("q:Value", ns).text for a in msg.findall("q:Attribute", ns)}
        self.assertEqual(names["ApproximateReceiveCount"], "1")
        status, x = call(Action="GetQueueAttributes", QueueUrl=url, **{"AttributeName.1": "All"})
        attrs = {a.find("q:Name", ns).text: a.find("q:Value", ns).text for a in x.findall(".//q:Attribute", ns)}
        self.assertEqual((attrs["VisibilityTimeout"], attrs["ApproximateNumberOfMessagesNotVisible"]), ("7", "1"))
        status, x = call(Action="DeleteMessageBatch", QueueUrl=url,
                         **{"DeleteMessageBatchRequestEntry.1.Id": "d1",
                            "DeleteMessageBatchRequestEntry.1.ReceiptHandle": msg.find("q:ReceiptHandle", ns).text})
        self.assertEqual(x.find(".//q:DeleteMessageBatchResultEntry/q:Id", ns).text, "d1")
        status, x = call(Action="GetQueueUrl", QueueName="missing")
        self.assertEqual(status, 400)
        self.assertEqual(x.find(".//q:Code", ns).text, "AWS.SimpleQueueService.NonExistentQueue")
        # message attributes, in the form's numbered keys
        green = {"colour": {"DataType": "String", "StringValue": "green"}, "n": {"DataType": "Number", "StringValue": "3"}}
        status, x = call(Action="SendMessage", QueueUrl=url, MessageBody="attributed", **{
            "MessageAttribute.1.Name": "colour", "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "green", "MessageAttribute.2.Name": "n",
            "MessageAttribute.2.Value.DataType": "Number", "MessageAttribute.2.Value.StringValue": "3"})
        self.assertEqual(x.find(".//q:MD5OfMessageAttributes", ns).text, md5_of_attributes(green))
        status, x = call(Action="SendMessageBatch", QueueUrl=url, **{
            "SendMessageBatchRequestEntry.1.Id": "b1", "SendMessageBatchRequestEntry.1.MessageBody": "b",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "n",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "Number",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "3"})
        self.assertEqual(x.find(".//q:SendMessageBatchResultEntry/q:MD5OfMessageAttributes", ns).text,
                         md5_of_attributes({"n": green["n"]}))
        status, x = call(Action="ReceiveMessage", QueueUrl=url, MaxNumberOfMessages="10", **{"MessageAttributeName.1": "All"})
        msg = [m for m in x.findall(".//q:Message", ns) if m.find("q:Body", ns).text == "attributed"][0]
        got = {a.find("q:Name", ns).text: {"DataType": a.find("q:Value/q:DataType", ns).text,
                                           "StringValue": a.find("q:Value/q:StringValue", ns).text}
               for a in msg.findall("q:MessageAttribute", ns)}
        self.assertEqual(got, green)
        self.assertEqual(msg.find("q:MD5OfMessageAttributes", ns).text, md5_of_attributes(green))

    def wait_lines(self, prefix, n):
        deadline = time.time() + 30
        while True:
            lines = [l[len(prefix):] for l in self.s.stderr().splitlines() if l.startswith(prefix)]
            if len(lines) >= n or time.time() > deadline:
                return lines
            time.sleep(0.05)

    def test_eventbridge_put_events(self):
        events = boto3.client("events", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test")
        entries = [
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 150, "n": 1})},
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 50, "n": 2})},
            {"Source": "other", "DetailType": "Order Placed", "Detail": json.dumps({"total": 500, "tier": "Gold", "n": 3})},
            {"Source": "shop", "DetailType": "Refund", "Detail": json.dumps({"total": 5, "tier": "GOLD", "n": 4})},
        ]
        r = events.put_events(Entries=entries)
        self.assertEqual(r["FailedEntryCount"], 0)
        self.assertEqual(len(r["Entries"]), 4)
        self.wait_lines("ROUTED ", 2)
        time.sleep(0.5)  # nothing else comes
        routed = [json.loads(l) for l in self.wait_lines("ROUTED ", 2)]
        whole = [e for e in routed if "detail" in e]
        self.assertEqual([e["detail"]["n"] for e in whole], [1])  # Big: source shop and total > 100
        self.assertEqual(whole[0]["source"], "shop")
        self.assertEqual(whole[0]["detail-type"], "Order Placed")
        self.assertEqual(whole[0]["id"], r["Entries"][0]["EventId"])
        # GoldRule: detail-type prefix Order, tier gold in any case; InputPath $.detail
        self.assertEqual([e["n"] for e in routed if "detail" not in e], [3])

    def test_filter_criteria(self):
        url = self.sqs.get_queue_url(QueueName="filtered")["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "drop"}))
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "keep"}))
        self.sqs.send_message(QueueUrl=url, MessageBody="not json")
        deadline = time.time() + 20
        while time.time() < deadline:
            bodies = [l.split(" ", 1)[1] for l in self.s.stderr().splitlines() if l.startswith("GOT {")]
            if bodies:
                break
            time.sleep(0.05)
        self.assertTrue(all('"keep"' in b for b in bodies), bodies)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")  # filtered out: deleted

    def test_on_failure_to_a_queue_and_endpoints_for_functions(self):
        lam = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{self.s.lambda_}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        r = lam.invoke(FunctionName="Flaky", InvocationType="Event", Payload=b'{"tag": "t1"}')
        self.assertEqual(r["StatusCode"], 202)
        url = self.sqs.get_queue_url(QueueName="failures")["QueueUrl"]
        deadline, msgs = time.time() + 30, []
        while not msgs and time.time() < deadline:
            msgs = self.sqs.receive_message(QueueUrl=url).get("Messages", [])
            time.sleep(0.05)
        rec = json.loads(msgs[0]["Body"])
        self.assertEqual(rec["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(rec["requestPayload"], {"tag": "t1"})
        self.assertEqual(rec["responsePayload"]["errorMessage"], "flaky t1")
        # to a topic: its queue subscription gets the notification holding the record
        lam.invoke(FunctionName="FlakyToTopic", InvocationType="Event", Payload=b'{"tag": "t2"}')
        copies = self.sqs.get_queue_url(QueueName="alert-copies")["QueueUrl"]
        deadline, notes = time.time() + 30, []
        while time.time() < deadline:
            notes += [json.loads(m["Body"]) for m in self.sqs.receive_message(
                QueueUrl=copies, MaxNumberOfMessages=10).get("Messages", [])]
            recs = [json.loads(n["Message"]) for n in notes if n["Message"].startswith("{")]
            if any(r["requestPayload"] == {"tag": "t2"} for r in recs):
                break
            time.sleep(0.05)
        self.assertTrue(any(r["requestContext"]["condition"] == "RetriesExhausted" and
                            r["requestPayload"] == {"tag": "t2"} for r in recs), notes)
        out = json.loads(lam.invoke(FunctionName="Relay", Payload=b'{"say": "relayed"}')["Payload"].read())
        self.assertEqual(out["lambda"], f"http://127.0.0.1:{self.s.lambda_}")
        plain = self.sqs.get_queue_url(QueueName="plain")["QueueUrl"]
        m = self.sqs.receive_message(QueueUrl=plain, MaxNumberOfMessages=10)["Messages"]
        self.assertIn(("relayed", out["sent"]), [(x["Body"], x["MessageId"]) for x in m])

    def test_s3_buckets_are_directories(self):
        from botocore.config import Config
        s3 = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
        root = os.path.join(self.s.dir.name, ".lamb", "s3", "uploads")
        self.assertTrue(os.path.isdir(root))
        # a file dropped into the directory fires, with the right key; one the filter leaves out does not
        os.makedirs(os.path.join(root, "in"), exist_ok=True)
        with open(os.path.join(root, "in", "skip.txt"), "w") as f:
            f.write("no")
        with open(os.path.join(root, "in", "dropped.csv"), "w") as f:
            f.write("a,b\n1,2\n")
        self.assertEqual(self.wait_lines("S3 ", 1), ["ObjectCreated:Put uploads in/dropped.csv 8"])
        # through the endpoint: fires once (the watcher does not fire it again)
        s3.put_object(Bucket="uploads", Key="in/b c.csv", Body=b"x,y\n")
        self.assertEqual(self.wait_lines("S3 ", 2)[1], "ObjectCreated:Put uploads in/b+c.csv 4")
        self.assertEqual(s3.get_object(Bucket="uploads", Key="in/b c.csv")["Body"].read(), b"x,y\n")
        self.assertEqual(s3.head_object(Bucket="uploads", Key="in/b c.csv")["ContentLength"], 4)
        with open(os.path.join(root, "in", "b c.csv"), "rb") as f:
            self.assertEqual(f.read(), b"x,y\n")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="uploads", Prefix="in/")["Contents"]]
        self.assertEqual(sorted(keys), ["in/b c.csv", "in/dropped.csv", "in/skip.txt"])
        s3.copy_object(Bucket="uploads", Key="in/copy.csv", CopySource={"Bucket": "uploads", "Key": "in/b c.csv"})
        self.assertEqual(self.wait_lines("S3 ", 3)[2], "ObjectCreated:Copy uploads in/copy.csv 4")
        s3.delete_object(Bucket="uploads", Key="in/skip.txt")
        self.assertEqual(self.wait_lines("S3 ", 4)[3], "ObjectRemoved:Delete uploads in/skip.txt 0")
        with self.assertRaises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket="uploads", Key="in/skip.txt")
        time.sleep(0.5)  # the watcher's rescan fires nothing more
        self.assertEqual(len(self.wait_lines("S3 ", 4)), 4)

    def test_sns_publish_fans_out(self):
        sns = boto3.client("sns", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                           aws_secret_access_key="test")
        arn = sns.create_topic(Name="alerts")["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:us-east-1:123456789012:alerts")
        self.assertIn(arn, [t["TopicArn"] for t in sns.list_topics()["Topics"]])
        def attrs(sev, score):
            return {"severity": {"DataType": "String", "StringValue": sev},
                    "score": {"DataType": "Number", "StringValue": str(score)}}
        ids = [sns.publish(TopicArn=arn, Message=f"m{i}", Subject="s", MessageAttributes=attrs(sev, score))["MessageId"]
               for i, (sev, score) in enumerate((("high", 9), ("low", 9), ("high", 3)))]
        paged = [json.loads(l) for l in self.wait_lines("PAGED ", 1)]
        time.sleep(0.5)
        paged = [json.loads(l) for l in self.wait_lines("PAGED ", 1)]
        self.assertEqual(paged, [{"message": "m0", "subject": "s", "source": "aws:sns", "severity": "high"}])
        copies = self.sqs.get_queue_url(QueueName="alert-copies")["QueueUrl"]
        got = self.sqs.receive_message(QueueUrl=copies, MaxNumberOfMessages=10)["Messages"]
        notes = sorted((json.loads(m["Body"]) for m in got), key=lambda n: n["Message"])
        notes = [n for n in notes if not n["Message"].startswith("{")]  # not an async record (another test's)
        self.assertEqual([n["Message"] for n in notes], ["m0", "m1", "m2"])  # no filter on the queue
        self.assertEqual([n["MessageId"] for n in notes], ids)
        self.assertEqual(notes[0]["Type"], "Notification")
        self.assertEqual(notes[0]["TopicArn"], arn)

    def test_recursive_loop_stopped_at_16(self):
        loop = self.sqs.get_queue_url(QueueName="loop")["QueueUrl"]
        self.sqs.send_message(QueueUrl=loop, MessageBody="1")
        deadline = time.time() + 60
        while "recursive loop detected" not in self.s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.wait_lines("LOOP ", 16), [str(i) for i in range(1, 17)])
        self.assertIn("lamb: recursive loop detected: sqs Looper/Q -> Looper would be invocation 17 of one chain; "
                      "stopped after 16 (set RecursiveLoop: Allow on Looper to let it run)", self.s.stderr())
        time.sleep(0.3)
        self.assertEqual(len(self.wait_lines("LOOP ", 16)), 16)
        attrs = self.sqs.get_queue_attributes(QueueUrl=loop, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")  # the 17th message was dropped

    def test_aws_cli(self):
        if not shutil.which("aws"):
            self.skipTest("the AWS CLI is not installed")
        def aws(*args):
            r = subprocess.run(["aws", "sqs", *args, "--endpoint-url", self.url, "--output", "json"],
                               capture_output=True, text=True, env=ENV, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout) if r.stdout.strip() else None
        # each run of the CLI takes seconds to start: two calls, the rest is boto3's
        url = f"{self.url}/123456789012/plain"
        sent = aws("send-message", "--queue-url", url, "--message-body", "from the cli")
        got = aws("receive-message", "--queue-url", url)["Messages"][0]
        self.assertEqual((got["MessageId"], got["Body"]), (sent["MessageId"], "from the cli"))


STATE_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Kept:
    Type: AWS::SQS::Queue
    Properties: {QueueName: kept}
  Box:
    Type: AWS::S3::Bucket
    Properties: {BucketName: box}
"""


class State(unittest.TestCase):
    def test_queues_survive_a_crash_and_reset_empties_them(self):
        s = LocalStart("--clock", "manual", files={"template.yaml": STATE_TEMPLATE})
        try:
            def client():
                return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{s.services}", region_name="us-east-1",
                                    aws_access_key_id="test", aws_secret_access_key="test")
            sqs = client()
            url = sqs.get_queue_url(QueueName="kept")["QueueUrl"]
            ids = [sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageAttributes={
                "i": {"DataType": "Number", "StringValue": str(i)}})["MessageId"] for i in range(3)]
            made = sqs.create_queue(QueueName="made-at-runtime")["QueueUrl"]
            sqs.send_message(QueueUrl=made, MessageBody="runtime")
            got = sqs.receive_message(QueueUrl=url)["Messages"][0]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
            s.restart("--clock", "manual", kill=True)  # SIGKILL: nothing flushed on the way out
            sqs = client()
            url = sqs.get_queue_url(QueueName="kept")["QueueUrl"]
            left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
            self.assertEqual(sorted(m["MessageId"] for m in left), sorted(i for i in ids if i != got["MessageId"]))
            self.assertEqual({m["Body"]: m["MessageAttributes"]["i"]["StringValue"] for m in left},
                             {m["Body"]: m["Body"][1:] for m in left})  # the attributes came back too
            made = sqs.get_queue_url(QueueName="made-at-runtime")["QueueUrl"]
            self.assertEqual(sqs.receive_message(QueueUrl=made)["Messages"][0]["Body"], "runtime")
            s.proc.terminate()
            s.proc.wait(timeout=15)
            r = lambtest.run("local", "reset", cwd=s.dir.name)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(".lamb/sqs", r.stdout)
            self.assertFalse(os.path.exists(os.path.join(s.dir.name, ".lamb", "sqs")))
            s.log.close()
            s.launch("--clock", "manual")
            sqs = client()
            url = sqs.get_queue_url(QueueName="kept")["QueueUrl"]
            self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))
        finally:
            self.assertEqual(s.stop(), 0)


ASYNC_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, CodeUri: src/, Timeout: 5}
Resources:
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fails
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: Lambda, Destination: !GetAtt Catcher.Arn}
  Catcher:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.catcher}
"""

ASYNC_APP = """\
import json

def fails(event, context):
    print("TRIED " + json.dumps(event), flush=True)
    raise RuntimeError("async failure")

def catcher(event, context):
    print("CAUGHT " + json.dumps(event, sort_keys=True), flush=True)
"""


def lambtest_read(path):
    with open(path) as f:
        return f.read()


class PendingRetries(unittest.TestCase):
    def test_a_retry_survives_a_crash_and_reaches_on_failure(self):
        s = LocalStart("--clock", "manual", files={"template.yaml": ASYNC_TEMPLATE, "src/app.py": ASYNC_APP})
        journal = os.path.join(s.dir.name, ".lamb", "async", "events.jsonl")
        try:
            lam = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{s.lambda_}", region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
            r = lam.invoke(FunctionName="Fails", InvocationType="Event", Payload=b'{"n": 1}')
            self.assertEqual(r["StatusCode"], 202)
            deadline = time.time() + 30
            while '"attempts":1' not in lambtest_read(journal) and time.time() < deadline:
                time.sleep(0.05)  # the first attempt failed: its retry waits a minute on the clock
            s.restart("--clock", "manual", kill=True)  # SIGKILL before the retry
            self.assertIn("lamb: 1 pending asynchronous event reloaded", s.stderr())
            self.assertNotIn("TRIED", s.stderr(), "the retry ran before its time")
            r = s.clock("advance", "5m")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            tries = [l for l in r.stdout.splitlines() if "invoke  Fails  function error" in l]
            self.assertEqual(len(tries), 2, r.stdout)  # attempts 2 and 3, one then two minutes apart
            self.assertIn("OnFailure of Fails  Catcher  ok", r.stdout)
            caught = [json.loads(l.split("CAUGHT ", 1)[1]) for l in s.stderr().splitlines() if l.startswith("CAUGHT ")]
            self.assertEqual(len(caught), 1)
            self.assertEqual(caught[0]["requestContext"]["approximateInvokeCount"], 3)
            self.assertEqual(caught[0]["requestContext"]["condition"], "RetriesExhausted")
            self.assertEqual(caught[0]["requestPayload"], {"n": 1})
            s.restart("--clock", "manual")
            self.assertNotIn("pending asynchronous", s.stderr(), "a finished event came back")
            lam = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{s.lambda_}", region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
            lam.invoke(FunctionName="Fails", InvocationType="Event", Payload=b'{"n": 2}')
            s.proc.terminate()
            s.proc.wait(timeout=15)
            r = lambtest.run("local", "reset", cwd=s.dir.name)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(".lamb/async", r.stdout)
            self.assertFalse(os.path.exists(journal))
            s.log.close()
            s.launch("--clock", "manual")
            self.assertNotIn("pending asynchronous", s.stderr())
        finally:
            self.assertEqual(s.stop(), 0)


SOAK_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Soak:
    Type: AWS::SQS::Queue
    Properties: {QueueName: soak, VisibilityTimeout: 1}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.work
      Events:
        Q:
          Type: SQS
          Properties:
            Queue: !GetAtt Soak.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
"""

SOAK_APP = """\
import sys

def work(event, context):
    failed, done = [], []
    for r in event["Records"]:
        n = int(r["body"])
        if n % 7 == 0 and r["attributes"]["ApproximateReceiveCount"] == "1":
            failed.append({"itemIdentifier": r["messageId"]})
        else:
            done.append("%s %s" % (r["body"], r["attributes"]["ApproximateReceiveCount"]))
    sys.stderr.write("".join("DONE %s\\n" % d for d in done))
    return {"batchItemFailures": failed}
"""


class Soak(unittest.TestCase):
    def test_ten_thousand_messages_with_partial_failures(self):
        """Real clock: 10,000 messages, every seventh failed once and retried
        after its visibility timeout: none lost, and none delivered twice but
        where SQS's at-least-once contract allows it (a visibility timeout
        that ran out while a slow batch held the message: a later receive,
        with a higher receive count)."""
        s = LocalStart("-l", "lamb.log", files={"template.yaml": SOAK_TEMPLATE, "src/app.py": SOAK_APP})
        try:
            sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{s.services}", region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
            url = sqs.get_queue_url(QueueName="soak")["QueueUrl"]
            n = 10000
            for start in range(0, n, 10):
                r = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)}
                                                                  for i in range(start, start + 10)])
                self.assertEqual(len(r["Successful"]), 10)
            log = os.path.join(s.dir.name, "lamb.log")
            deadline = time.time() + 120
            while time.time() < deadline:
                with open(log) as f:
                    done = [tuple(l.split()[1:3]) for l in f if l.startswith("DONE ")]
                if len({b for b, _ in done}) >= n:
                    break
                time.sleep(0.2)
            self.assertEqual({b for b, _ in done}, {str(i) for i in range(n)}, "lost messages")
            self.assertEqual(len(set(done)), len(done), "one receive delivered twice")
            self.assertTrue(all(c != "1" for b, c in done if int(b) % 7 == 0), "a failed item was not retried")
            again = len(done) - n
            self.assertLess(again, n // 10, f"{again} messages done twice: the visibility timeout is not kept")
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            self.assertEqual((attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]),
                             ("0", "0"))
            # over 20,000 lines were appended (a send and a delete each); the
            # journal was written afresh as it filled with messages gone
            with open(os.path.join(s.dir.name, ".lamb", "sqs", "soak.jsonl")) as f:
                lines = sum(1 for _ in f)
            self.assertLess(lines, 5000, "the queue's journal keeps every message ever sent")
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    lambtest.main()
