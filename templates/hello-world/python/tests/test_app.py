"""Runs the handler on events/event.json: python3 -m unittest discover tests"""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hello_world"))

import app  # noqa: E402


class HelloTest(unittest.TestCase):
    def test_event(self):
        with open(os.path.join(HERE, "..", "events", "event.json")) as f:
            event = json.load(f)
        response = app.lambda_handler(event, None)
        self.assertEqual(response["statusCode"], 200)
        self.assertEqual(json.loads(response["body"]), {"message": "hello world"})

    def test_name(self):
        response = app.lambda_handler({"queryStringParameters": {"name": "lamb"}}, None)
        self.assertEqual(json.loads(response["body"])["message"], "hello lamb")


if __name__ == "__main__":
    unittest.main()
