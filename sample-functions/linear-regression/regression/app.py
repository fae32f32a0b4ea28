"""Write your python, lambda your python: a least-squares line through
(x, y) with scipy.stats.linregress. GET fits the seed's data, drawn with
np.random.seed(12345678); POST fits {"x": [...], "y": [...]} from the body.
numpy and scipy come from the layer, not from this directory."""
import json

import numpy as np
from scipy import stats


def sample_data():
    """Ten points near y = 1.6 x + 0.5, the same ten every time."""
    np.random.seed(12345678)
    x = np.random.random(10)
    y = 1.6 * x + np.random.random(10)
    return x, y


def fit(x, y):
    r = stats.linregress(x, y)
    return {"m": r.slope, "c": r.intercept, "r2": r.rvalue ** 2, "p": r.pvalue, "se": r.stderr}


def response(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def lambda_handler(event, context):
    body = event.get("body")
    if not body:
        return response(200, fit(*sample_data()))
    try:
        data = json.loads(body)
        x = np.asarray(data["x"], dtype=float)
        y = np.asarray(data["y"], dtype=float)
        if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
            raise ValueError("x and y must be lists of the same length, at least 3")
    except (ValueError, KeyError, TypeError) as e:
        return response(400, {"error": str(e)})
    return response(200, fit(x, y))
