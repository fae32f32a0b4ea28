"""A function that uses pandas from a custom layer: it takes a CSV (the
event's "csv" string) and answers the totals and means of "value" per
"group", largest total first."""
import io

import pandas as pd


def lambda_handler(event, context):
    df = pd.read_csv(io.StringIO(event["csv"]))
    by = event.get("by", "group")
    col = event.get("value", "value")
    g = df.groupby(by)[col].agg(["count", "sum", "mean"]).sort_values("sum", ascending=False)
    return {
        "pandas": pd.__version__,
        "rows": int(len(df)),
        "groups": [
            {by: str(k), "count": int(r["count"]), "total": round(float(r["sum"]), 6), "mean": round(float(r["mean"]), 6)}
            for k, r in g.iterrows()
        ],
    }
