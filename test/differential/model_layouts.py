"""Model directories as the loader meets them (MLflow models inside a run's artifacts, exports beside pickles), and scikit-learn's predictions.

    python3 model_layouts.py OUT_DIR     # OUT_DIR/<layout>/... and OUT_DIR/cases.json

Each layout is a directory of real fitted parts: an MLflow sklearn model logged in a
subdirectory of the run (models_mlflow/, beside preprocessor/preprocessor.b), a run holding a
second model beside the one RUN_ID names, an MLmodel whose two flavors name two pickles, a
run id YAML 1.2 would read as a number, a pickle beside its model.json export.
cases.json holds the rides and, per layout, scikit-learn's predictions for the model meant.
"""
import json
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline

out = sys.argv[1]
rng = np.random.default_rng(5)
N = 300
pu, do, dist = rng.integers(1, 30, N), rng.integers(1, 30, N), rng.uniform(0.1, 20, N)
y = 5 + 3 * dist + (pu % 7) + rng.normal(0, 1, N)
TRAIN = [{"PU_DO": f"{a}_{b}", "trip_distance": float(c)} for a, b, c in zip(pu, do, dist)]
RIDES = [{"PULocationID": a, "DOLocationID": b, "trip_distance": c} for a, b, c in [(1, 2, 3.66), (5, 7, 0.5), (20, 21, 12.25)]]
X_RIDES = [{"PU_DO": f"{r['PULocationID']}_{r['DOLocationID']}", "trip_distance": r["trip_distance"]} for r in RIDES]

dv = DictVectorizer().fit(TRAIN)
regressor = LinearRegression().fit(dv.transform(TRAIN), y)
pipeline = make_pipeline(DictVectorizer(), Ridge(alpha=5)).fit(TRAIN, y)


def pickled(path, obj):
    path = os.path.join(out, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)


def mlmodel(directory, run_id, pyfunc_path="model.pkl"):
    """The MLmodel mlflow.sklearn.log_model writes (MLflow 2.x), with python_function's model_path as given."""
    with open(os.path.join(out, directory, "MLmodel"), "w") as f:
        f.write("artifact_path: model\nflavors:\n  python_function:\n    env:\n      conda: conda.yaml\n"
                f"    loader_module: mlflow.sklearn\n    model_path: {pyfunc_path}\n    predict_fn: predict\n    python_version: 3.11.2\n"
                "  sklearn:\n    code: null\n    pickled_model: model.pkl\n    serialization_format: pickle\n    sklearn_version: 1.2.1\n"
                f"mlflow_version: 2.9.2\nmodel_uuid: 0f5c\nrun_id: {run_id}\nutc_time_created: '2024-01-01 00:00:00.000000'\n")


# A run's artifacts: the regressor logged with mlflow.sklearn in models_mlflow/, its vectorizer in preprocessor/.
pickled("course-run/models_mlflow/model.pkl", regressor)
mlmodel("course-run/models_mlflow", "run-a")
pickled("course-run/preprocessor/preprocessor.b", dv)
# A run whose only model is an MLflow sklearn model one level down.
pickled("nested-run/models_mlflow/model.pkl", pipeline)
mlmodel("nested-run/models_mlflow", "run-b")
# RUN_ID names model/, a regressor without its vectorizer; the run also holds a whole model in models_mlflow/.
pickled("two-models-run/artifacts/model/model.pkl", regressor)
mlmodel("two-models-run/artifacts/model", "run-c")
pickled("two-models-run/artifacts/preprocessor/preprocessor.b", dv)
pickled("two-models-run/artifacts/models_mlflow/model.pkl", pipeline)
mlmodel("two-models-run/artifacts/models_mlflow", "run-c")
# MLmodel's python_function flavor (mlflow.pyfunc.load_model) names another pickle than its sklearn flavor.
pickled("two-flavor-files/model.pkl", pipeline)
pickled("two-flavor-files/other.pkl", make_pipeline(DictVectorizer(), Ridge(alpha=50)).fit(TRAIN, y))
mlmodel("two-flavor-files", "run-d", pyfunc_path="other.pkl")
# A run id of digits around one "e": PyYAML (MLflow's writer) leaves it unquoted, a string in YAML 1.1.
pickled("exponent-run-id/model.pkl", pipeline)
mlmodel("exponent-run-id", "1234e567890123456789012345670123")
# No MLmodel: a pickle and its model.json export (tools/export_model.py), one readable here and one not (bz2).
for layout, compress in (("export-beside-pickle", None), ("export-beside-bz2-joblib", ("bz2", 3))):
    os.makedirs(os.path.join(out, layout))
    source = os.path.join(out, layout, "model.joblib")
    joblib.dump(pipeline, source, **({"compress": compress} if compress else {}))
    subprocess.run([sys.executable, "tools/export_model.py", source, "-o", os.path.join(out, layout, "model.json")], check=True,
                   stdout=subprocess.DEVNULL)

predictions = {
    "course-run": [float(p) for p in regressor.predict(dv.transform(X_RIDES))],
    "nested-run": [float(p) for p in pipeline.predict(X_RIDES)],
    "exponent-run-id": [float(p) for p in pipeline.predict(X_RIDES)],
    "export-beside-pickle": [float(p) for p in pipeline.predict(X_RIDES)],
    "export-beside-bz2-joblib": [float(p) for p in pipeline.predict(X_RIDES)],
}
json.dump({"rides": RIDES, "predictions": predictions}, open(os.path.join(out, "cases.json"), "w"), indent=1)
