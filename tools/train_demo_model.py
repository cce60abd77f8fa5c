#!/usr/bin/env python3
"""Train the bundled demo model and save it as MLflow logs it under models/demo/model/.

    python3 tools/train_demo_model.py            # needs scikit-learn (Debian: python3-sklearn)
    npm run profile -- test/fixtures/rides/demo-training.parquet --model models/demo/model   # then its profile

The training rides are written as a parquet file by tools/make_ride_fixtures.py, so that the
reference profile (models/demo/reference/profile.json) is made from them as a user makes one.

A LinearRegression on DictVectorizer features, like the course's first model, trained on
synthetic rides; small enough to commit, so the first run needs neither AWS nor Python.
The directory holds what mlflow.sklearn.log_model writes that the function reads: MLmodel
and the pickled pipeline, model.pkl (protocol 5, as MLflow's default cloudpickle writes).
"""
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import synthetic_rides  # noqa: E402

DEMO_RUN_ID = "e1efc53e9bd149078b0c12aeaa6365df"
MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "demo", "model")

MLMODEL = """artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.2
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: {sklearn_version}
run_id: {run_id}
signature:
  inputs: '[{{"name": "PU_DO", "type": "string"}}, {{"name": "trip_distance", "type":
    "double"}}]'
  outputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "float64", "shape": [-1]}}}}]'
utc_time_created: '2026-11-22 20:00:00.000000'
"""


def main():
    import sklearn

    rides, duration = synthetic_rides.generate(20_000, seed=7)
    pipeline = make_pipeline(DictVectorizer(), LinearRegression())
    pipeline.fit([synthetic_rides.prepare_features(r) for r in rides], duration)

    os.makedirs(MODEL_DIR, exist_ok=True)
    with open(os.path.join(MODEL_DIR, "MLmodel"), "w", encoding="utf-8") as f:
        f.write(MLMODEL.format(sklearn_version=sklearn.__version__, run_id=DEMO_RUN_ID))
    with open(os.path.join(MODEL_DIR, "model.pkl"), "wb") as f:
        pickle.dump(pipeline, f, protocol=5)
    ride = {"PULocationID": 130, "DOLocationID": 205, "trip_distance": 3.66}
    print(f"demo model in {os.path.normpath(MODEL_DIR)} (run {DEMO_RUN_ID}); "
          f"ride 256 -> {pipeline.predict([synthetic_rides.prepare_features(ride)])[0]:.4f} min")


if __name__ == "__main__":
    main()
