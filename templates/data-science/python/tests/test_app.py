"""Runs the handler on the sample events: python3 -m unittest discover tests
Skipped, saying why, where numpy and scipy are not installed."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "regression"))

try:
    import app
    from scipy import stats
except ImportError as e:
    app = None
    MISSING = str(e)


def event(name):
    with open(os.path.join(HERE, "..", "events", name)) as f:
        return json.load(f)


@unittest.skipIf(app is None, "numpy/scipy are not installed: 'lamb build' (needs a package index) "
                 "or 'apt-get install python3-numpy python3-scipy'")
class RegressionTest(unittest.TestCase):
    def test_sample_data(self):
        response = app.lambda_handler(event("event.json"), None)
        self.assertEqual(response["statusCode"], 200)
        got = json.loads(response["body"])
        r = stats.linregress(*app.sample_data())
        self.assertAlmostEqual(got["m"], r.slope)
        self.assertAlmostEqual(got["r2"], r.rvalue ** 2)

    def test_posted_data(self):
        response = app.lambda_handler(event("post.json"), None)
        self.assertEqual(response["statusCode"], 200)
        self.assertAlmostEqual(json.loads(response["body"])["m"], 1.99)

    def test_bad_data(self):
        response = app.lambda_handler({"body": '{"x": [1, 2]}'}, None)
        self.assertEqual(response["statusCode"], 400)


if __name__ == "__main__":
    unittest.main()
