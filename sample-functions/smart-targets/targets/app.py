"""Smart Targets: every night, compare the last day of each meter's hourly
readings with what that meter usually draws at that hour, and flag the
readings that are out of character (further than THRESHOLD standard
deviations from the usual). The readings are a CSV: timestamp,meter,kwh.
pandas comes from the layer."""
import os

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    df = pd.read_csv(path, parse_dates=["timestamp"])
    df["day"] = df["timestamp"].dt.normalize()
    df["hour"] = df["timestamp"].dt.hour
    return df


def flag(df, threshold):
    last = df["day"].max()
    history, today = df[df["day"] < last], df[df["day"] == last]
    usual = history.groupby(["meter", "hour"])["kwh"].agg(["mean", "std"]).reset_index()
    merged = today.merge(usual, on=["meter", "hour"], how="left")
    # a floor under std, so a very regular meter is not flagged for noise
    spread = merged["std"].clip(lower=0.05 * merged["mean"].abs() + 1e-9)
    merged["score"] = (merged["kwh"] - merged["mean"]) / spread
    out = merged[merged["score"].abs() > threshold].sort_values(["meter", "hour"])
    return last, [
        {
            "meter": r.meter,
            "time": r.timestamp.strftime("%Y-%m-%dT%H:%M:%S"),
            "kwh": round(float(r.kwh), 3),
            "expected": round(float(r.mean), 3),
            "score": round(float(r.score), 1),
        }
        for r in out.itertuples()
    ]


def lambda_handler(event, context):
    threshold = float(os.environ.get("THRESHOLD", "4"))
    path = os.path.join(HERE, os.environ.get("READINGS", "readings.csv"))
    df = load(path)
    day, flagged = flag(df, threshold)
    return {
        "day": day.strftime("%Y-%m-%d"),
        "meters": int(df["meter"].nunique()),
        "readings": int(len(df)),
        "threshold": threshold,
        "flagged": flagged,
    }
