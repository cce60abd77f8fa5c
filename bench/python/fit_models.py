#!/usr/bin/env python3
"""Fit the benchmark's models once, on the same synthetic rides, for both sides.

    python3 bench/python/fit_models.py OUT_DIR

OUT_DIR/<linear|forest>/MLmodel     MLflow's description (run_id: linear or forest)
OUT_DIR/<linear|forest>/model.pkl   the pickled Pipeline, which both sides serve
OUT_DIR/<linear|forest>/model.json  its export, to compare the two ways of loading a model
OUT_DIR/rides.json                  10,000 rides to send (the same for both)
"""
import hashlib
import json
import os
import pickle
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

from sklearn.ensemble import RandomForestRegressor  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import export_model  # noqa: E402
import synthetic_rides  # noqa: E402

MODELS = {
    "linear": LinearRegression(),
    # The course's streaming model: 100 trees, max_depth 20, min_samples_leaf 10.
    "forest": RandomForestRegressor(n_estimators=100, max_depth=20, min_samples_leaf=10, n_jobs=-1, random_state=1),
}


def main(out):
    train, durations = synthetic_rides.generate(50_000, seed=11)
    features = [synthetic_rides.prepare_features(r) for r in train]
    for name, estimator in MODELS.items():
        started = time.time()
        pipeline = make_pipeline(DictVectorizer(), estimator).fit(features, durations)
        # Predict single-threaded, as the course's handler did by default.
        if hasattr(pipeline[-1], "n_jobs"):
            pipeline[-1].n_jobs = None
        os.makedirs(os.path.join(out, name), exist_ok=True)
        pickled = pickle.dumps(pipeline, protocol=5)  # as MLflow's cloudpickle writes it
        with open(os.path.join(out, name, "model.pkl"), "wb") as f:
            f.write(pickled)
        with open(os.path.join(out, name, "MLmodel"), "w") as f:
            f.write(f"artifact_path: model\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\nrun_id: {name}\n")
        exported = export_model.export_pipeline(pipeline, name, hashlib.sha256(pickled).hexdigest())
        export_model.write_model(exported, os.path.join(out, name, "model.json"))
        print(f"{name}: fitted in {time.time() - started:.1f} s", file=sys.stderr)
    rides, _ = synthetic_rides.generate(10_000, seed=12)
    with open(os.path.join(out, "rides.json"), "w") as f:
        json.dump([{"ride": ride, "ride_id": i} for i, ride in enumerate(rides)], f)
    print(json.dumps({"models": list(MODELS), "rides": len(rides)}))


if __name__ == "__main__":
    main(sys.argv[1])
