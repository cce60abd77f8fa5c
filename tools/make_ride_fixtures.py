#!/usr/bin/env python3
"""Write the ride files the profile tool and the drift tests read, as NYC taxi records are
published (green-taxi columns; parquet through pyarrow, CSV through pandas):

    /work/venv/bin/python tools/make_ride_fixtures.py    # any Python with numpy, pandas and pyarrow

- test/fixtures/rides/demo-training.parquet: the demo model's training rides
  (synthetic_rides.generate(20_000, seed=7), as tools/train_demo_model.py trains on), with
  pickup and dropoff times from their durations, plus three rows the function would refuse
  (no pickup zone, a negative distance, a zone beyond 265), as real files have;
- test/fixtures/rides/demo-fresh.csv: 4,000 more rides of the same city (seed 8): rides
  drawn like the reference, for the drift tests.
"""
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_rides  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "rides")
START = pd.Timestamp("2021-01-01 00:00:00")


def frame(n, seed, bad_rows=False):
    rides, duration = synthetic_rides.generate(n, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    pickup = START + pd.to_timedelta(np.sort(rng.uniform(0, 31 * 24 * 3600, size=n)).round(), unit="s")
    df = pd.DataFrame(
        {
            "VendorID": np.full(n, 2, dtype="int64"),
            "lpep_pickup_datetime": pickup,
            "lpep_dropoff_datetime": pickup + pd.to_timedelta(np.round(duration * 60), unit="s"),
            "PULocationID": pd.array([r["PULocationID"] for r in rides], dtype="Int64"),
            "DOLocationID": pd.array([r["DOLocationID"] for r in rides], dtype="Int64"),
            "trip_distance": [r["trip_distance"] for r in rides],
        }
    )
    if bad_rows:
        bad = df.iloc[:3].copy()
        bad.loc[bad.index[0], "PULocationID"] = pd.NA
        bad.loc[bad.index[1], "trip_distance"] = -1.0
        bad.loc[bad.index[2], "DOLocationID"] = 300
        df = pd.concat([df, bad], ignore_index=True)
    return df


def main():
    os.makedirs(OUT, exist_ok=True)
    frame(20_000, 7, bad_rows=True).to_parquet(os.path.join(OUT, "demo-training.parquet"), index=False, compression="snappy")
    frame(4_000, 8).to_csv(os.path.join(OUT, "demo-fresh.csv"), index=False)


if __name__ == "__main__":
    main()
